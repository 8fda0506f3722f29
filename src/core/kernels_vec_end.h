/* kernels_vec_end.h - ends the ISA region kernels_vec.h opened (the compiler's own target again).
 * Include it last in a per-ISA file. */
#if defined(KV_ENABLED) && KV_ENABLED
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
