/*
 * glue-keys.c: what libsodium's key-handling subset needs from
 * sodium/core.c and the C library (see rules.mk): errno, set by Argon2's
 * allocation path, sodium_misuse, called on an impossible length, and the
 * encoded-string functions, refused.
 */
int errno;
void sodium_misuse(void);
void abort(void) __attribute__((noreturn));

/* argon2-encoding.c (base64, the "$argon2id$v=19$..." strings) is not
 * built: only raw hashes are used, so these refuse. */
struct Argon2_Context;
int encode_string(char *dst, unsigned long dst_len, struct Argon2_Context *ctx, int type);
int decode_string(struct Argon2_Context *ctx, const char *str, int type);
int encode_string(char *dst, unsigned long dst_len, struct Argon2_Context *ctx, int type)
{
    (void)dst, (void)dst_len, (void)ctx, (void)type;
    return -31; /* ARGON2_ENCODING_FAIL */
}
int decode_string(struct Argon2_Context *ctx, const char *str, int type)
{
    (void)ctx, (void)str, (void)type;
    return -32; /* ARGON2_DECODING_FAIL */
}

void sodium_misuse(void)
{
    abort();
}
