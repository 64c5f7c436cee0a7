// Every function-table entry of Sources/CGPIOD/shim.h has the real function's type: the table is filled with the
// real functions declared by the real <gpiod.h>, which a mismatched pointer type makes an error (-Werror).
// Compiled (never run) by Tests/CGPIODCheck/run with -DFLOORLINK_GPIOD_SYSTEM_HEADER=1 or =2.
#include <gpiod.h>

#include "shim.h"

#define FLOORLINK_GPIOD_ASSIGN(ret, name, params) .name = gpiod_##name,

#if FLOORLINK_GPIOD_SYSTEM_HEADER == 1
const struct floorlink_gpiod1_api floorlink_check_table = {FLOORLINK_GPIOD1_FUNCTIONS(FLOORLINK_GPIOD_ASSIGN)};
#elif FLOORLINK_GPIOD_SYSTEM_HEADER == 2
const struct floorlink_gpiod2_api floorlink_check_table = {FLOORLINK_GPIOD2_FUNCTIONS(FLOORLINK_GPIOD_ASSIGN)};
#else
#error "set FLOORLINK_GPIOD_SYSTEM_HEADER to the API of the <gpiod.h> on the include path (1 or 2)"
#endif
