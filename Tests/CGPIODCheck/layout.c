// The structs and constants Sources/CGPIOD/shim.h writes out have the real header's layout and values. The real
// header's own tags are renamed (real_...) so both definitions can be compared in one translation unit.
// Compiled (never run) by Tests/CGPIODCheck/run with -DFLOORLINK_GPIOD_API=1 or =2.
#define gpiod_line_event real_gpiod_line_event
#define gpiod_line_request_config real_gpiod_line_request_config
#define gpiod_line_value real_gpiod_line_value
#define gpiod_line_direction real_gpiod_line_direction
#define gpiod_line_edge real_gpiod_line_edge
#define gpiod_line_bias real_gpiod_line_bias
#define gpiod_line_drive real_gpiod_line_drive
#define gpiod_line_clock real_gpiod_line_clock
#define gpiod_edge_event_type real_gpiod_edge_event_type
#include <gpiod.h>
#undef gpiod_line_event
#undef gpiod_line_request_config
#undef gpiod_line_value
#undef gpiod_line_direction
#undef gpiod_line_edge
#undef gpiod_line_bias
#undef gpiod_line_drive
#undef gpiod_line_clock
#undef gpiod_edge_event_type

#include "shim.h"

#define SAME(mine, real) _Static_assert((long long)(mine) == (long long)(real), #mine " differs from " #real)

#if FLOORLINK_GPIOD_API == 1
SAME(sizeof(struct gpiod_line_event), sizeof(struct real_gpiod_line_event));
SAME(offsetof(struct gpiod_line_event, ts), offsetof(struct real_gpiod_line_event, ts));
SAME(offsetof(struct gpiod_line_event, event_type), offsetof(struct real_gpiod_line_event, event_type));
SAME(sizeof(struct gpiod_line_request_config), sizeof(struct real_gpiod_line_request_config));
SAME(offsetof(struct gpiod_line_request_config, consumer), offsetof(struct real_gpiod_line_request_config, consumer));
SAME(offsetof(struct gpiod_line_request_config, request_type),
    offsetof(struct real_gpiod_line_request_config, request_type));
SAME(offsetof(struct gpiod_line_request_config, flags), offsetof(struct real_gpiod_line_request_config, flags));
SAME(FLOORLINK_GPIOD1_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_INPUT);
SAME(FLOORLINK_GPIOD1_LINE_DIRECTION_OUTPUT, GPIOD_LINE_DIRECTION_OUTPUT);
SAME(FLOORLINK_GPIOD1_LINE_ACTIVE_STATE_HIGH, GPIOD_LINE_ACTIVE_STATE_HIGH);
SAME(FLOORLINK_GPIOD1_LINE_ACTIVE_STATE_LOW, GPIOD_LINE_ACTIVE_STATE_LOW);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_AS_IS, GPIOD_LINE_REQUEST_DIRECTION_AS_IS);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_INPUT, GPIOD_LINE_REQUEST_DIRECTION_INPUT);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_OUTPUT, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_FALLING_EDGE, GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_RISING_EDGE, GPIOD_LINE_REQUEST_EVENT_RISING_EDGE);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_BOTH_EDGES, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_DRAIN, GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_SOURCE, GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_ACTIVE_LOW, GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_DISABLE, GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_DOWN, GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN);
SAME(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_UP, GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP);
SAME(FLOORLINK_GPIOD1_LINE_EVENT_RISING_EDGE, GPIOD_LINE_EVENT_RISING_EDGE);
SAME(FLOORLINK_GPIOD1_LINE_EVENT_FALLING_EDGE, GPIOD_LINE_EVENT_FALLING_EDGE);
#elif FLOORLINK_GPIOD_API == 2
SAME(sizeof(enum gpiod_line_value), sizeof(enum real_gpiod_line_value));
SAME(sizeof(enum gpiod_line_direction), sizeof(enum real_gpiod_line_direction));
SAME(sizeof(enum gpiod_line_edge), sizeof(enum real_gpiod_line_edge));
SAME(sizeof(enum gpiod_line_bias), sizeof(enum real_gpiod_line_bias));
SAME(sizeof(enum gpiod_line_drive), sizeof(enum real_gpiod_line_drive));
SAME(sizeof(enum gpiod_line_clock), sizeof(enum real_gpiod_line_clock));
SAME(sizeof(enum gpiod_edge_event_type), sizeof(enum real_gpiod_edge_event_type));
SAME(FLOORLINK_GPIOD2_LINE_VALUE_ERROR, GPIOD_LINE_VALUE_ERROR);
SAME(FLOORLINK_GPIOD2_LINE_VALUE_INACTIVE, GPIOD_LINE_VALUE_INACTIVE);
SAME(FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE, GPIOD_LINE_VALUE_ACTIVE);
SAME(FLOORLINK_GPIOD2_LINE_DIRECTION_AS_IS, GPIOD_LINE_DIRECTION_AS_IS);
SAME(FLOORLINK_GPIOD2_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_INPUT);
SAME(FLOORLINK_GPIOD2_LINE_DIRECTION_OUTPUT, GPIOD_LINE_DIRECTION_OUTPUT);
SAME(FLOORLINK_GPIOD2_LINE_EDGE_NONE, GPIOD_LINE_EDGE_NONE);
SAME(FLOORLINK_GPIOD2_LINE_EDGE_RISING, GPIOD_LINE_EDGE_RISING);
SAME(FLOORLINK_GPIOD2_LINE_EDGE_FALLING, GPIOD_LINE_EDGE_FALLING);
SAME(FLOORLINK_GPIOD2_LINE_EDGE_BOTH, GPIOD_LINE_EDGE_BOTH);
SAME(FLOORLINK_GPIOD2_LINE_BIAS_AS_IS, GPIOD_LINE_BIAS_AS_IS);
SAME(FLOORLINK_GPIOD2_LINE_BIAS_UNKNOWN, GPIOD_LINE_BIAS_UNKNOWN);
SAME(FLOORLINK_GPIOD2_LINE_BIAS_DISABLED, GPIOD_LINE_BIAS_DISABLED);
SAME(FLOORLINK_GPIOD2_LINE_BIAS_PULL_UP, GPIOD_LINE_BIAS_PULL_UP);
SAME(FLOORLINK_GPIOD2_LINE_BIAS_PULL_DOWN, GPIOD_LINE_BIAS_PULL_DOWN);
SAME(FLOORLINK_GPIOD2_LINE_DRIVE_PUSH_PULL, GPIOD_LINE_DRIVE_PUSH_PULL);
SAME(FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_DRAIN, GPIOD_LINE_DRIVE_OPEN_DRAIN);
SAME(FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_SOURCE, GPIOD_LINE_DRIVE_OPEN_SOURCE);
SAME(FLOORLINK_GPIOD2_LINE_CLOCK_MONOTONIC, GPIOD_LINE_CLOCK_MONOTONIC);
SAME(FLOORLINK_GPIOD2_LINE_CLOCK_REALTIME, GPIOD_LINE_CLOCK_REALTIME);
SAME(FLOORLINK_GPIOD2_LINE_CLOCK_HTE, GPIOD_LINE_CLOCK_HTE);
SAME(FLOORLINK_GPIOD2_EDGE_EVENT_RISING_EDGE, GPIOD_EDGE_EVENT_RISING_EDGE);
SAME(FLOORLINK_GPIOD2_EDGE_EVENT_FALLING_EDGE, GPIOD_EDGE_EVENT_FALLING_EDGE);
#else
#error "set FLOORLINK_GPIOD_API to the API of the <gpiod.h> on the include path (1 or 2)"
#endif
