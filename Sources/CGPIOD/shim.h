// libgpiod, either API, loaded at run time: floorlinkd links no libgpiod. HALLinux dlopens libgpiod.so.3 (libgpiod
// 2.x, the v2 API) or else libgpiod.so.2 (libgpiod 1.6, the v1 API) and fills one of the two tables below with
// dlsym, so one build runs on Debian 12 (1.6) and Debian 13 (2.2).
//
// The declarations are written here, not taken from <gpiod.h> (which only one of the two APIs can be installed
// with). Tests/CGPIODCheck/run compiles them against each real header: every table entry must have the real
// function's type, every struct its layout and every constant its value.
#ifndef FLOORLINK_CGPIOD_SHIM_H
#define FLOORLINK_CGPIOD_SHIM_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

// The table entries are _Nonnull (Swift calls them without unwrapping; resolve fails if one is missing); the
// other pointers keep C's unspecified nullability, which clang would otherwise ask to be spelled out.
#if defined(__clang__)
#define FLOORLINK_GPIOD_NONNULL _Nonnull
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-completeness"
#else
#define FLOORLINK_GPIOD_NONNULL
#endif

// Opaque objects of both APIs.
struct gpiod_chip;
struct gpiod_line;
struct gpiod_chip_info;
struct gpiod_line_info;
struct gpiod_line_settings;
struct gpiod_line_config;
struct gpiod_request_config;
struct gpiod_line_request;
struct gpiod_edge_event;
struct gpiod_edge_event_buffer;

// ---- libgpiod 1.6 (v1 API) ----

// FLOORLINK_GPIOD_SYSTEM_HEADER is set only by the check, which includes the real header first.
#if FLOORLINK_GPIOD_SYSTEM_HEADER != 1
struct gpiod_line_event {
    struct timespec ts;
    int event_type;
};

struct gpiod_line_request_config {
    const char *consumer;
    int request_type;
    int flags;
};
#endif

enum {
    FLOORLINK_GPIOD1_LINE_DIRECTION_INPUT = 1,
    FLOORLINK_GPIOD1_LINE_DIRECTION_OUTPUT = 2,
    FLOORLINK_GPIOD1_LINE_ACTIVE_STATE_HIGH = 1,
    FLOORLINK_GPIOD1_LINE_ACTIVE_STATE_LOW = 2,
    FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_AS_IS = 1,
    FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_INPUT = 2,
    FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_OUTPUT = 3,
    FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_FALLING_EDGE = 4,
    FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_RISING_EDGE = 5,
    FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_BOTH_EDGES = 6,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_DRAIN = 1 << 0,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_SOURCE = 1 << 1,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_ACTIVE_LOW = 1 << 2,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_DISABLE = 1 << 3,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_DOWN = 1 << 4,
    FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_UP = 1 << 5,
    FLOORLINK_GPIOD1_LINE_EVENT_RISING_EDGE = 1,
    FLOORLINK_GPIOD1_LINE_EVENT_FALLING_EDGE = 2,
};

// X(return type, name without the gpiod_ prefix, parameter list): the v1 functions HALLinux calls.
#define FLOORLINK_GPIOD1_FUNCTIONS(X) \
    X(const char *, version_string, (void)) \
    X(struct gpiod_chip *, chip_open, (const char *path)) \
    X(struct gpiod_chip *, chip_open_by_name, (const char *name)) \
    X(struct gpiod_chip *, chip_open_by_number, (unsigned int num)) \
    X(struct gpiod_chip *, chip_open_by_label, (const char *label)) \
    X(void, chip_close, (struct gpiod_chip *chip)) \
    X(const char *, chip_name, (struct gpiod_chip *chip)) \
    X(const char *, chip_label, (struct gpiod_chip *chip)) \
    X(unsigned int, chip_num_lines, (struct gpiod_chip *chip)) \
    X(struct gpiod_line *, chip_get_line, (struct gpiod_chip *chip, unsigned int offset)) \
    X(struct gpiod_line *, chip_find_line, (struct gpiod_chip *chip, const char *name)) \
    X(unsigned int, line_offset, (struct gpiod_line *line)) \
    X(const char *, line_name, (struct gpiod_line *line)) \
    X(const char *, line_consumer, (struct gpiod_line *line)) \
    X(int, line_direction, (struct gpiod_line *line)) \
    X(int, line_active_state, (struct gpiod_line *line)) \
    X(bool, line_is_used, (struct gpiod_line *line)) \
    X(int, line_update, (struct gpiod_line *line)) \
    X(int, line_request, (struct gpiod_line *line, const struct gpiod_line_request_config *config, int default_val)) \
    X(void, line_release, (struct gpiod_line *line)) \
    X(int, line_get_value, (struct gpiod_line *line)) \
    X(int, line_set_value, (struct gpiod_line *line, int value)) \
    X(int, line_event_get_fd, (struct gpiod_line *line)) \
    X(int, line_event_read_fd_multiple, (int fd, struct gpiod_line_event *events, unsigned int num_events))

// ---- libgpiod 2.x (v2 API) ----

#if FLOORLINK_GPIOD_SYSTEM_HEADER != 2
enum gpiod_line_value {
    FLOORLINK_GPIOD2_LINE_VALUE_ERROR = -1,
    FLOORLINK_GPIOD2_LINE_VALUE_INACTIVE = 0,
    FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE = 1,
};

enum gpiod_line_direction {
    FLOORLINK_GPIOD2_LINE_DIRECTION_AS_IS = 1,
    FLOORLINK_GPIOD2_LINE_DIRECTION_INPUT = 2,
    FLOORLINK_GPIOD2_LINE_DIRECTION_OUTPUT = 3,
};

enum gpiod_line_edge {
    FLOORLINK_GPIOD2_LINE_EDGE_NONE = 1,
    FLOORLINK_GPIOD2_LINE_EDGE_RISING = 2,
    FLOORLINK_GPIOD2_LINE_EDGE_FALLING = 3,
    FLOORLINK_GPIOD2_LINE_EDGE_BOTH = 4,
};

enum gpiod_line_bias {
    FLOORLINK_GPIOD2_LINE_BIAS_AS_IS = 1,
    FLOORLINK_GPIOD2_LINE_BIAS_UNKNOWN = 2,
    FLOORLINK_GPIOD2_LINE_BIAS_DISABLED = 3,
    FLOORLINK_GPIOD2_LINE_BIAS_PULL_UP = 4,
    FLOORLINK_GPIOD2_LINE_BIAS_PULL_DOWN = 5,
};

enum gpiod_line_drive {
    FLOORLINK_GPIOD2_LINE_DRIVE_PUSH_PULL = 1,
    FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_DRAIN = 2,
    FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_SOURCE = 3,
};

enum gpiod_line_clock {
    FLOORLINK_GPIOD2_LINE_CLOCK_MONOTONIC = 1,
    FLOORLINK_GPIOD2_LINE_CLOCK_REALTIME = 2,
    FLOORLINK_GPIOD2_LINE_CLOCK_HTE = 3,
};

enum gpiod_edge_event_type {
    FLOORLINK_GPIOD2_EDGE_EVENT_RISING_EDGE = 1,
    FLOORLINK_GPIOD2_EDGE_EVENT_FALLING_EDGE = 2,
};
#endif

// The v2 functions HALLinux calls, as for v1.
#define FLOORLINK_GPIOD2_FUNCTIONS(X) \
    X(const char *, api_version, (void)) \
    X(struct gpiod_chip *, chip_open, (const char *path)) \
    X(void, chip_close, (struct gpiod_chip *chip)) \
    X(struct gpiod_chip_info *, chip_get_info, (struct gpiod_chip *chip)) \
    X(void, chip_info_free, (struct gpiod_chip_info *info)) \
    X(const char *, chip_info_get_name, (struct gpiod_chip_info *info)) \
    X(const char *, chip_info_get_label, (struct gpiod_chip_info *info)) \
    X(size_t, chip_info_get_num_lines, (struct gpiod_chip_info *info)) \
    X(struct gpiod_line_info *, chip_get_line_info, (struct gpiod_chip *chip, unsigned int offset)) \
    X(int, chip_get_line_offset_from_name, (struct gpiod_chip *chip, const char *name)) \
    X(void, line_info_free, (struct gpiod_line_info *info)) \
    X(const char *, line_info_get_name, (struct gpiod_line_info *info)) \
    X(const char *, line_info_get_consumer, (struct gpiod_line_info *info)) \
    X(bool, line_info_is_used, (struct gpiod_line_info *info)) \
    X(enum gpiod_line_direction, line_info_get_direction, (struct gpiod_line_info *info)) \
    X(bool, line_info_is_active_low, (struct gpiod_line_info *info)) \
    X(struct gpiod_line_settings *, line_settings_new, (void)) \
    X(void, line_settings_free, (struct gpiod_line_settings *settings)) \
    X(int, line_settings_set_direction, (struct gpiod_line_settings *settings, enum gpiod_line_direction direction)) \
    X(int, line_settings_set_edge_detection, (struct gpiod_line_settings *settings, enum gpiod_line_edge edge)) \
    X(int, line_settings_set_bias, (struct gpiod_line_settings *settings, enum gpiod_line_bias bias)) \
    X(int, line_settings_set_drive, (struct gpiod_line_settings *settings, enum gpiod_line_drive drive)) \
    X(void, line_settings_set_active_low, (struct gpiod_line_settings *settings, bool active_low)) \
    X(void, line_settings_set_debounce_period_us, (struct gpiod_line_settings *settings, unsigned long period)) \
    X(int, line_settings_set_event_clock, (struct gpiod_line_settings *settings, enum gpiod_line_clock event_clock)) \
    X(int, line_settings_set_output_value, (struct gpiod_line_settings *settings, enum gpiod_line_value value)) \
    X(struct gpiod_line_config *, line_config_new, (void)) \
    X(void, line_config_free, (struct gpiod_line_config *config)) \
    X(int, line_config_add_line_settings, \
        (struct gpiod_line_config *config, const unsigned int *offsets, size_t num_offsets, \
            struct gpiod_line_settings *settings)) \
    X(struct gpiod_request_config *, request_config_new, (void)) \
    X(void, request_config_free, (struct gpiod_request_config *config)) \
    X(void, request_config_set_consumer, (struct gpiod_request_config *config, const char *consumer)) \
    X(void, request_config_set_event_buffer_size, (struct gpiod_request_config *config, size_t event_buffer_size)) \
    X(struct gpiod_line_request *, chip_request_lines, \
        (struct gpiod_chip *chip, struct gpiod_request_config *req_cfg, struct gpiod_line_config *line_cfg)) \
    X(void, line_request_release, (struct gpiod_line_request *request)) \
    X(enum gpiod_line_value, line_request_get_value, (struct gpiod_line_request *request, unsigned int offset)) \
    X(int, line_request_set_value, \
        (struct gpiod_line_request *request, unsigned int offset, enum gpiod_line_value value)) \
    X(int, line_request_get_fd, (struct gpiod_line_request *request)) \
    X(int, line_request_read_edge_events, \
        (struct gpiod_line_request *request, struct gpiod_edge_event_buffer *buffer, size_t max_events)) \
    X(struct gpiod_edge_event_buffer *, edge_event_buffer_new, (size_t capacity)) \
    X(void, edge_event_buffer_free, (struct gpiod_edge_event_buffer *buffer)) \
    X(struct gpiod_edge_event *, edge_event_buffer_get_event, \
        (struct gpiod_edge_event_buffer *buffer, unsigned long index)) \
    X(enum gpiod_edge_event_type, edge_event_get_event_type, (struct gpiod_edge_event *event)) \
    X(uint64_t, edge_event_get_timestamp_ns, (struct gpiod_edge_event *event)) \
    X(unsigned int, edge_event_get_line_offset, (struct gpiod_edge_event *event)) \
    X(unsigned long, edge_event_get_global_seqno, (struct gpiod_edge_event *event)) \
    X(unsigned long, edge_event_get_line_seqno, (struct gpiod_edge_event *event))

// ---- The tables ----

#define FLOORLINK_GPIOD_FIELD(ret, name, params) ret (*FLOORLINK_GPIOD_NONNULL name) params;

/// The libgpiod 1.6 functions, resolved from one loaded library.
struct floorlink_gpiod1_api {
    FLOORLINK_GPIOD1_FUNCTIONS(FLOORLINK_GPIOD_FIELD)
};

/// The libgpiod 2.x functions, resolved from one loaded library.
struct floorlink_gpiod2_api {
    FLOORLINK_GPIOD2_FUNCTIONS(FLOORLINK_GPIOD_FIELD)
};

#define FLOORLINK_GPIOD_RESOLVE(ret, name, params) \
    symbol = dlsym(library, "gpiod_" #name); \
    if (symbol == NULL) { \
        *missing = "gpiod_" #name; \
        return -1; \
    } \
    memcpy(&table->name, &symbol, sizeof symbol);

/// Fills `table` from `library` (a dlopen handle); 0, or -1 with the first missing symbol's name in `missing`.
static inline int floorlink_gpiod1_resolve(
    void *library, struct floorlink_gpiod1_api *table, const char **missing
) {
    void *symbol;
    FLOORLINK_GPIOD1_FUNCTIONS(FLOORLINK_GPIOD_RESOLVE)
    return 0;
}

/// Fills `table` from `library` (a dlopen handle); 0, or -1 with the first missing symbol's name in `missing`.
static inline int floorlink_gpiod2_resolve(
    void *library, struct floorlink_gpiod2_api *table, const char **missing
) {
    void *symbol;
    FLOORLINK_GPIOD2_FUNCTIONS(FLOORLINK_GPIOD_RESOLVE)
    return 0;
}

/// glibc's Dl_info, spelled out: <dlfcn.h> declares it (and dladdr) only under _GNU_SOURCE.
struct floorlink_dl_info {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
};

/// dladdr(3): which loaded file holds `address`; nonzero on success.
extern int floorlink_dladdr(const void *address, struct floorlink_dl_info *info) __asm__("dladdr");

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#endif
