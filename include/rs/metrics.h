/*
 * metrics.h: request counters, latency histograms and gauges shared by every process,
 * rendered as Prometheus text exposition format 0.0.4 (GET /_ruststack/metrics).
 * Runs in: master (create before any fork), workers (record requests in their own slot,
 * render), supervisors (publish gauges in their own slot).
 * One shared anonymous mapping with one region per writer slot: one writer per slot, no
 * locks; readers never block. A slot is never reset: a respawned worker continues its
 * predecessor's series, so every counter stays monotonic for Prometheus. Only one live
 * process may write a slot at a time (the master reaps before it respawns).
 */
#ifndef RS_METRICS_H
#define RS_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rs_metrics rs_metrics_t;

/* master, before fork; writers = worker slots + 2 supervisors (1..1024); NULL on failure */
rs_metrics_t *rs_metrics_create(unsigned max_writers);
/* the one this process created or inherited through fork, or NULL */
rs_metrics_t *rs_metrics_current(void);
void rs_metrics_destroy(rs_metrics_t *m);

/* A writer (slot) records one finished request: service ("s3", "dynamodb", "lambda",
 * "apigw", "internal"; NULL -> "unknown"), operation ("PutObject"; NULL -> "unknown"),
 * HTTP status, latency in microseconds, response bytes. Names are truncated (service 31,
 * operation 63 bytes) and bytes outside printable ASCII become '_'. When the slot's table
 * is full the request is counted under operation "other". Never blocks, never allocates;
 * an out-of-range slot or a NULL m is ignored. */
void rs_metrics_request(rs_metrics_t *m, unsigned slot, const char *service, const char *operation,
                        int status, uint64_t latency_us, uint64_t bytes);

/* A gauge published by a writer in its own slot, rendered as ruststack_<name> (summed over
 * the slots that publish the same name). The name keeps [A-Za-z0-9_:], other bytes become
 * '_'; names of the request families and an empty name are ignored, as are new names once
 * the slot holds 32 gauges. */
void rs_metrics_gauge(rs_metrics_t *m, unsigned slot, const char *name, int64_t value);

/* Render everything into a malloc'd NUL-terminated string (length in *len when len is not
 * NULL): ruststack_requests_total{service,operation,status}, the histogram
 * ruststack_request_duration_seconds{service} (le 0.001 0.005 0.01 0.05 0.1 0.5 1 5 +Inf,
 * _sum, _count), ruststack_response_bytes_total{service} and the gauges, each family with
 * HELP and TYPE lines, all summed over the writers. The caller may append its own
 * families to the text (realloc). NULL when m is NULL or on allocation failure. */
char *rs_metrics_render(rs_metrics_t *m, size_t *len);

#endif
