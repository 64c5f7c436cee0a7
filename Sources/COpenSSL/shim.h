// OpenSSL 3 (libcrypto): hashing, HMAC, key derivation and constant-time comparison.
// Floorlink hand-rolls no cryptography.
#ifndef FLOORLINK_COPENSSL_SHIM_H
#define FLOORLINK_COPENSSL_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#endif
