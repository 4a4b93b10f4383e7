/*
 * s3_names.c: S3 name rules and enumerations: bucket names, AWS regions, storage classes.
 * Runs in: workers (pure functions).
 */
#include "config.h"

#include <string.h>

#include "s3/s3_int.h"

static int is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int looks_like_ipv4(const char *s)
{
    int dots = 0, digits = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (digits == 0)
                return 0;
            dots++, digits = 0;
        } else if (*s >= '0' && *s <= '9') {
            digits++;
        } else {
            return 0;
        }
    }
    return dots == 3 && digits > 0;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* General-purpose bucket naming rules (AWS "Bucket naming rules"). */
int rs_s3_bucket_name_valid(const char *name)
{
    static const char *const bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-", NULL};
    static const char *const bad_suffix[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", NULL};
    size_t n = strlen(name), i;

    if (n < 3 || n > 63)
        return 0;
    if (!is_lower_alnum(name[0]) || !is_lower_alnum(name[n - 1]))
        return 0;
    for (i = 0; i < n; i++) {
        char ch = name[i];
        if (!is_lower_alnum(ch) && ch != '.' && ch != '-')
            return 0;
        if (ch == '.' && i + 1 < n && (name[i + 1] == '.' || name[i + 1] == '-'))
            return 0;
        if (ch == '-' && i + 1 < n && name[i + 1] == '.')
            return 0;
    }
    if (looks_like_ipv4(name))
        return 0;
    for (i = 0; bad_prefix[i]; i++)
        if (has_prefix(name, bad_prefix[i]))
            return 0;
    for (i = 0; bad_suffix[i]; i++)
        if (has_suffix(name, bad_suffix[i]))
            return 0;
    return 1;
}

/* Commercial, GovCloud and China regions that S3 accepts as a LocationConstraint. */
static const char *const regions[] = {"af-south-1",     "ap-east-1",      "ap-east-2",
                                      "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
                                      "ap-south-1",     "ap-south-2",     "ap-southeast-1",
                                      "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
                                      "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
                                      "ca-central-1",   "ca-west-1",      "cn-north-1",
                                      "cn-northwest-1", "eu-central-1",   "eu-central-2",
                                      "eu-north-1",     "eu-south-1",     "eu-south-2",
                                      "eu-west-1",      "eu-west-2",      "eu-west-3",
                                      "il-central-1",   "me-central-1",   "me-south-1",
                                      "mx-central-1",   "sa-east-1",      "us-east-1",
                                      "us-east-2",      "us-gov-east-1",  "us-gov-west-1",
                                      "us-west-1",      "us-west-2",      NULL};

int rs_s3_region_valid(const char *region)
{
    size_t i;
    for (i = 0; regions[i] != NULL; i++)
        if (strcmp(regions[i], region) == 0)
            return 1;
    return 0;
}

/* Index 0 is the default; the store keeps the index in rs_obj_info_t.storage_class. */
static const char *const storage_classes[] = {
    "STANDARD",        "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER",         "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "SNOW",
    "EXPRESS_ONEZONE", "FSX_OPENZFS",        "FSX_ONTAP",   NULL};

/* Classes a general-purpose bucket accepts on write: the first eight. OUTPOSTS, SNOW,
 * EXPRESS_ONEZONE and FSX_* belong to other bucket kinds (AWS: InvalidStorageClass). */
#define GENERAL_PURPOSE_CLASSES 8

int rs_s3_storage_class_parse(const char *s)
{
    int i;
    for (i = 0; i < GENERAL_PURPOSE_CLASSES; i++)
        if (strcmp(storage_classes[i], s) == 0)
            return i;
    return -1;
}

const char *rs_s3_storage_class_name(int idx)
{
    int n = (int)(sizeof storage_classes / sizeof storage_classes[0]) - 1;
    return idx >= 0 && idx < n ? storage_classes[idx] : "STANDARD";
}

int rs_s3_storage_class_archived(int idx)
{
    const char *n = rs_s3_storage_class_name(idx);
    return strcmp(n, "GLACIER") == 0 || strcmp(n, "DEEP_ARCHIVE") == 0;
}
