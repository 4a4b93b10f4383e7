/*
 * main.c: the ruststack command: options, configuration (file, then command-line
 * overrides), `-t` to check a configuration, then the master in the foreground.
 * Runs in: the master process (before any fork).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proc.h"
#include "rs/conf.h"
#include "rs/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ruststack [options]\n"
               "  -c, --config FILE   configuration file (default: built-in defaults)\n"
               "  -p, --port N        listening port (overrides `port`)\n"
               "  -b, --bind ADDR     listening address (overrides `bind`)\n"
               "  -w, --workers N     worker processes, 0 = one per core (overrides `workers`)\n"
               "  -t, --test          check the configuration and exit\n"
               "  -V, --version       print the version and exit\n"
               "  -h, --help          this text\n"
               "Signals: TERM/INT/QUIT stop gracefully, HUP reloads the configuration,\n"
               "USR1 reopens the log file.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},   {"workers", required_argument, NULL, 'w'},
        {"test", no_argument, NULL, 't'},         {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static rs_conf_t conf;
    const char *kv[6];
    size_t nkv = 0;
    const char *path = NULL;
    int test = 0, c;
    char err[1024];

    while ((c = getopt_long(argc, argv, "c:p:b:w:tVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'p':
        case 'b':
        case 'w': {
            const char *key = c == 'p' ? "port" : (c == 'b' ? "bind" : "workers");
            size_t i;
            for (i = 0; i < nkv; i++)
                if (strcmp(kv[2 * i], key) == 0)
                    break;
            kv[2 * i] = key;
            kv[2 * i + 1] = optarg;
            if (i == nkv)
                nkv++;
            break;
        }
        case 't':
            test = 1;
            break;
        case 'V':
            printf("ruststack %s\n", PACKAGE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ruststack: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 1;
    }
    if (rs_conf_build(&conf, path, kv, nkv, err, sizeof(err)) != 0) {
        fprintf(stderr, "ruststack: configuration error: %s\n", err);
        return 1;
    }
    if (test) {
        printf("ruststack: configuration %s is valid\n", path ? path : "(built-in defaults)");
        return 0;
    }
    rs_log_set_level(conf.log_level);
    rs_log_set_access(conf.access_log);
    if (rs_log_open(conf.log_file) != 0) {
        fprintf(stderr, "ruststack: cannot open log_file %s: %m\n", conf.log_file);
        return 1;
    }
    return rs_master_run(&conf, path, kv, nkv);
}
