#pragma once
// Inlining hints for the per-value steps of the parse: small steps called once per value are forced inline into the
// loops that call them (GCC and clang otherwise leave some as calls); slow and error paths stay out of line.

#if defined(__GNUC__) || defined(__clang__)
#define QURABLE_WEBHOOKS_INLINE __attribute__((always_inline)) inline
#define QURABLE_WEBHOOKS_NOINLINE __attribute__((noinline))
#define QURABLE_WEBHOOKS_COLD __attribute__((noinline, cold))
#else
#define QURABLE_WEBHOOKS_INLINE inline
#define QURABLE_WEBHOOKS_NOINLINE
#define QURABLE_WEBHOOKS_COLD
#endif
