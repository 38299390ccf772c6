/* libFuzzer target: the .npy parser must reject or accept any bytes
 * without reading outside them, and what it accepts must re-serialise. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    NpyArray a, b;
    char err[512];
    if (npy_parse(data, size, &a, err, sizeof err) != 0) return 0;
    StrBuf sb;
    sb_init(&sb);
    npy_serialize(&a, &sb);
    if (npy_parse(sb.data, sb.len, &b, err, sizeof err) != 0) abort();
    if (b.dtype != a.dtype || b.count != a.count) abort();
    if (memcmp(a.data, b.data, a.count * dtype_size(a.dtype)) != 0) abort();
    npy_free(&a);
    npy_free(&b);
    sb_free(&sb);
    return 0;
}
