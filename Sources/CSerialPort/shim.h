// libserialport 0.1.1: enumeration, USB metadata and configuration of real UARTs.
#ifndef FLOORLINK_CSERIALPORT_SHIM_H
#define FLOORLINK_CSERIALPORT_SHIM_H
#include <libserialport.h>
#endif
