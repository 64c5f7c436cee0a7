// libgpiod 1.6 (v1 API). Swift imports the header directly; nothing needs a shim yet.
#ifndef FLOORLINK_CGPIOD_SHIM_H
#define FLOORLINK_CGPIOD_SHIM_H
#include <gpiod.h>
#endif
