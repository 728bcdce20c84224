/* Parse an iCalendar file with libical (Evolution's, KDE's and Cyrus' parser) and print its
 * occurrences as JSON, the way tests/js/expand.cjs does for ical.js.
 *
 * usage: expand FILE [FILE...] START_UNIX END_UNIX
 * Output, one line per file: {"defined_zones": [...], "missing_zones": [...], "errors": [...],
 *          "occurrences": [{"uid": ..., "start": ..., "end": ...}]}
 * Times are resolved through the VTIMEZONEs in the file (libical's own zone database is not
 * consulted for TZIDs the file defines). "errors" lists every X-LIC-ERROR libical adds while
 * parsing and checking the file against RFC 5545's restrictions (icalrestriction_check).
 * Only occurrences overlapping [START, END) are listed (as expand.cjs: start < END and
 * (end > START or start >= START)); RECURRENCE-ID overrides replace the instance they name.
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *uid;
    time_t start, end;
} occurrence;

static occurrence *found;
static size_t found_count, found_size;
static time_t range_start, range_end;

static void keep(const char *uid, time_t start, time_t end) {
    if (!(start < range_end && (end > range_start || start >= range_start))) return;
    if (found_count == found_size) {
        found_size = found_size ? 2 * found_size : 256;
        found = realloc(found, found_size * sizeof *found);
        if (!found) exit(3);
    }
    found[found_count++] = (occurrence){uid, start, end};
}

static void json_string(const char *text) {
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)(text ? text : ""); *c; c++) {
        if (*c == '"' || *c == '\\') printf("\\%c", *c);
        else if (*c < 0x20) printf("\\u%04x", *c);
        else putchar(*c);
    }
    putchar('"');
}

/* The UTC instant of a DATE-TIME property value, through the file's VTIMEZONE for its TZID. */
static time_t instant(icalcomponent *root, icalproperty *prop, struct icaltimetype value) {
    icalparameter *tzid = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    icaltimezone *zone = NULL;
    if (value.is_date) return icaltime_as_timet_with_zone(value, icaltimezone_get_utc_timezone());
    if (tzid) zone = icalcomponent_get_timezone(root, icalparameter_get_tzid(tzid));
    if (!zone) zone = icaltimezone_get_utc_timezone();
    return icaltime_as_timet_with_zone(value, zone);
}

typedef struct {
    icalcomponent *root;
    const char *uid;
    time_t *skipped;
    size_t skipped_count;
} master;

static void on_instance(icalcomponent *comp, struct icaltime_span *span, void *data) {
    master *m = data;
    (void)comp;
    for (size_t i = 0; i < m->skipped_count; i++)
        if (m->skipped[i] == span->start) return;  /* an override replaces this instance */
    keep(m->uid, span->start, span->end);
}

static void errors_of(icalcomponent *comp, int *first) {
    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY)) {
        char text[1024];
        snprintf(text, sizeof text, "%s: %s", icalcomponent_kind_to_string(
                     icalcomponent_isa(comp)), icalproperty_get_xlicerror(p));
        if (!*first) putchar(',');
        *first = 0;
        json_string(text);
    }
    for (icalcomponent *c = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT); c;
         c = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT))
        errors_of(c, first);
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    char *text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) exit(2);
    text[size] = 0;
    fclose(file);
    return text;
}

static int by_time(const void *a, const void *b) {
    const occurrence *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return strcmp(x->uid, y->uid);
}

static int report(const char *path) {
    char *text = read_file(path);
    icalcomponent *root = icalparser_parse_string(text);
    if (!root || icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        fprintf(stderr, "%s: not a VCALENDAR\n", path);
        return 1;
    }
    found_count = 0;
    icalrestriction_check(root);

    printf("{\"defined_zones\":[");
    int first = 1;
    for (icalcomponent *z = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT); z;
         z = icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT)) {
        if (!first) putchar(',');
        first = 0;
        icalproperty *tzid = icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
        json_string(tzid ? icalproperty_get_tzid(tzid) : "");
    }
    printf("],\"missing_zones\":[");
    first = 1;
    /* overrides: (uid, original start) pairs, and every VEVENT's TZIDs */
    size_t events = icalcomponent_count_components(root, ICAL_VEVENT_COMPONENT);
    const char **override_uid = calloc(events + 1, sizeof *override_uid);
    time_t *override_at = calloc(events + 1, sizeof *override_at);
    size_t overrides = 0;
    for (icalcomponent *e = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        for (icalproperty *p = icalcomponent_get_first_property(e, ICAL_ANY_PROPERTY); p;
             p = icalcomponent_get_next_property(e, ICAL_ANY_PROPERTY)) {
            icalparameter *tzid = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
            if (tzid && !icalcomponent_get_timezone(root, icalparameter_get_tzid(tzid))) {
                if (!first) putchar(',');
                first = 0;
                json_string(icalparameter_get_tzid(tzid));
            }
        }
        icalproperty *rid = icalcomponent_get_first_property(e, ICAL_RECURRENCEID_PROPERTY);
        if (rid) {
            override_uid[overrides] = icalcomponent_get_uid(e);
            override_at[overrides++] = instant(root, rid, icalproperty_get_recurrenceid(rid));
        }
    }
    printf("],\"errors\":[");
    first = 1;
    errors_of(root, &first);

    /* ask libical for a wider range and filter as expand.cjs does */
    struct icaltimetype from = icaltime_from_timet_with_zone(
        range_start - 3 * 86400, 0, icaltimezone_get_utc_timezone());
    struct icaltimetype to = icaltime_from_timet_with_zone(
        range_end + 3 * 86400, 0, icaltimezone_get_utc_timezone());
    time_t *skipped = calloc(overrides + 1, sizeof *skipped);
    for (icalcomponent *e = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        const char *uid = icalcomponent_get_uid(e);
        icalproperty *rid = icalcomponent_get_first_property(e, ICAL_RECURRENCEID_PROPERTY);
        if (rid) {
            icalproperty *s = icalcomponent_get_first_property(e, ICAL_DTSTART_PROPERTY);
            icalproperty *d = icalcomponent_get_first_property(e, ICAL_DTEND_PROPERTY);
            if (s && d)
                keep(uid, instant(root, s, icalproperty_get_dtstart(s)),
                     instant(root, d, icalproperty_get_dtend(d)));
            continue;
        }
        master m = {root, uid, skipped, 0};
        for (size_t i = 0; i < overrides; i++)
            if (override_uid[i] && uid && strcmp(override_uid[i], uid) == 0)
                skipped[m.skipped_count++] = override_at[i];
        icalcomponent_foreach_recurrence(e, from, to, on_instance, &m);
    }
    qsort(found, found_count, sizeof *found, by_time);
    printf("],\"occurrences\":[");
    for (size_t i = 0; i < found_count; i++) {
        printf(i ? ",{\"uid\":" : "{\"uid\":");
        json_string(found[i].uid);
        printf(",\"start\":%lld,\"end\":%lld}", (long long)found[i].start,
               (long long)found[i].end);
    }
    printf("]}\n");
    free(skipped);
    free(override_at);
    free(override_uid);
    icalcomponent_free(root);
    free(text);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: expand FILE [FILE...] START END\n"); return 2; }
    range_start = (time_t)atoll(argv[argc - 2]);
    range_end = (time_t)atoll(argv[argc - 1]);
    for (int i = 1; i < argc - 2; i++)
        if (report(argv[i]) != 0) return 1;
    return 0;
}
