/* Optional accelerator for devkit.logs: find a literal and count lines in one pass.
 *
 * `devkit logs trace` must report the line number of every hit, so every newline before a hit
 * is counted. In Python that is two passes over the data (bytes.find, then bytes.count, which
 * checks one byte at a time). Here each 256 KiB block is searched with glibc's memmem and its
 * newlines counted by a loop the compiler vectorises, while the block is still in cache: the
 * data is read from memory once. All functions take any buffer (bytes, bytearray, mmap) and
 * release the GIL. devkit/logs/scan.py falls back to pure Python when this was not built.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define BLOCK (256 * 1024)

/* Newlines in p[start:end]. Byte-wide counters over 16-byte lanes, flushed every 255 rounds so
 * they cannot overflow: the compiler turns the inner loop into compare-and-subtract vector
 * instructions (about 3x faster than a plain counting loop here). */
static size_t
newlines_in(const unsigned char *p, Py_ssize_t start, Py_ssize_t end)
{
    size_t n = 0;
    Py_ssize_t i = start;
    while (end - i >= 16 * 255) {
        unsigned char acc[16] = {0};
        for (int round = 0; round < 255; round++, i += 16)
            for (int j = 0; j < 16; j++)
                acc[j] += (unsigned char)(p[i + j] == '\n');
        for (int j = 0; j < 16; j++)
            n += acc[j];
    }
    for (; i < end; i++)
        n += (p[i] == '\n');
    return n;
}

/* Room for `need` entries in *arr, doubling from `first`; 0 when out of memory. Runs without the
 * GIL, hence the raw allocator. */
static int
reserve(Py_ssize_t **arr, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return 1;
    size_t ncap = *cap ? *cap * 2 : first;
    while (ncap < need)
        ncap *= 2;
    Py_ssize_t *grown = PyMem_RawRealloc(*arr, ncap * sizeof(Py_ssize_t));
    if (grown == NULL)
        return 0;
    *arr = grown;
    *cap = ncap;
    return 1;
}

static PyObject *
count_newlines(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &end))
        return NULL;
    if (start < 0)
        start = 0;
    if (end > view.len)
        end = view.len;
    const unsigned char *p = (const unsigned char *)view.buf;
    size_t n = 0;
    if (start < end) {
        Py_BEGIN_ALLOW_THREADS
        n = newlines_in(p, start, end);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return PyLong_FromSize_t(n);
}

/* Hits found so far: (offset, newlines before it) pairs, grown without the GIL. */
struct found {
    Py_ssize_t *hits;
    size_t count, cap;
    Py_ssize_t limit;
    int overflow, nomem;
};

/* Record a hit; 0 when the search must stop (over the limit, or out of memory). */
static int
found_add(struct found *f, Py_ssize_t off, size_t newlines)
{
    if ((Py_ssize_t)f->count >= f->limit) {
        f->overflow = 1;
        return 0;
    }
    if (!reserve(&f->hits, &f->cap, 2 * f->count + 2, 64)) {
        f->nomem = 1;
        return 0;
    }
    f->hits[2 * f->count] = off;
    f->hits[2 * f->count + 1] = (Py_ssize_t)newlines;
    f->count++;
    return 1;
}

/* The portable scan: each BLOCK searched with memmem, its newlines counted while it is in cache. */
static size_t
scan_blocks(const unsigned char *b, Py_ssize_t start, Py_ssize_t end, const unsigned char *nd, Py_ssize_t m,
            struct found *f)
{
    size_t total = 0;
    for (Py_ssize_t blk = start; blk < end && !f->overflow && !f->nomem;) {
        Py_ssize_t bend = end - blk > BLOCK ? blk + BLOCK : end;
        Py_ssize_t send = end - bend > m - 1 ? bend + m - 1 : end; /* a match may run past bend */
        Py_ssize_t pos = blk, counted = blk;
        while (m > 0 && send - pos >= m) {
            const unsigned char *p = memmem(b + pos, (size_t)(send - pos), nd, (size_t)m);
            if (p == NULL || p - b >= bend)
                break;
            Py_ssize_t off = p - b;
            total += newlines_in(b, counted, off);
            counted = off;
            if (!found_add(f, off, total))
                break;
            pos = off + 1;
        }
        total += newlines_in(b, counted, bend);
        blk = bend;
    }
    return total;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SCAN_AVX2 1

/* The same answer in one pass of 32-byte vectors: each vector gives its newlines (one popcount)
 * and the places where the needle's first and last bytes both are (a candidate, compared whole).
 * memmem and the newline count each read the block separately; this reads it once, about twice
 * as fast on data in cache. */
__attribute__((target("avx2,popcnt"))) static size_t
scan_avx2(const unsigned char *b, Py_ssize_t start, Py_ssize_t end, const unsigned char *nd, Py_ssize_t m,
          struct found *f)
{
    size_t total = 0;
    Py_ssize_t i = start;
    const __m256i nl = _mm256_set1_epi8('\n');
    const __m256i first = _mm256_set1_epi8((char)nd[0]), last = _mm256_set1_epi8((char)nd[m - 1]);
    for (; end - i >= 32 + m - 1; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i w = _mm256_loadu_si256((const __m256i *)(b + i + m - 1));
        uint32_t lines = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
        uint32_t cand = (uint32_t)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(v, first), _mm256_cmpeq_epi8(w, last)));
        while (cand) {
            int k = __builtin_ctz(cand);
            cand &= cand - 1;
            if (m <= 2 || memcmp(b + i + k + 1, nd + 1, (size_t)(m - 2)) == 0) {
                if (!found_add(f, i + k, total + (size_t)__builtin_popcount(lines & ((1u << k) - 1))))
                    return total;
            }
        }
        total += (size_t)__builtin_popcount(lines);
    }
    for (; i < end; i++) { /* the tail: fewer than 32 + m - 1 bytes */
        if (end - i >= m && b[i] == nd[0] && memcmp(b + i, nd, (size_t)m) == 0 && !found_add(f, i, total))
            return total;
        total += (b[i] == '\n');
    }
    return total;
}
#endif

/* scan(buffer, needle, start, end, limit[, portable]) -> ([(offset, newlines_before), ...], newlines) or None
 *
 * Every occurrence of needle that lies in [start, end), with the number of newlines in
 * [start, offset); and the newlines in all of [start, end). None when there are more than
 * limit occurrences (the caller then reads the file whole instead). ``portable``: the memmem
 * path even where the vector one runs (the tests hold both to the same answers).
 */
static PyObject *
scan(PyObject *self, PyObject *args)
{
    Py_buffer view, needle;
    Py_ssize_t start, end, limit;
    int portable = 0;
    if (!PyArg_ParseTuple(args, "y*y*nnn|p", &view, &needle, &start, &end, &limit, &portable))
        return NULL;
    if (start < 0)
        start = 0;
    if (end > view.len)
        end = view.len;
    const unsigned char *b = (const unsigned char *)view.buf, *nd = (const unsigned char *)needle.buf;
    const Py_ssize_t m = needle.len;
    struct found f = {NULL, 0, 0, limit, 0, 0};
    size_t total = 0;

    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_SCAN_AVX2
    if (!portable && m > 0 && start < end && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        total = scan_avx2(b, start, end, nd, m, &f);
    else
#endif
        total = scan_blocks(b, start, end, nd, m, &f);
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&view);
    PyBuffer_Release(&needle);
    if (f.nomem) {
        PyMem_RawFree(f.hits);
        return PyErr_NoMemory();
    }
    if (f.overflow) {
        PyMem_RawFree(f.hits);
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New((Py_ssize_t)f.count);
    for (size_t i = 0; list != NULL && i < f.count; i++) {
        PyObject *pair = Py_BuildValue("(nn)", f.hits[2 * i], f.hits[2 * i + 1]);
        if (pair == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, pair);
    }
    PyMem_RawFree(f.hits);
    if (list == NULL)
        return NULL;
    return Py_BuildValue("(Nn)", list, (Py_ssize_t)total);
}

/* long_lines(buffer, start, end, min_len) -> [line_start, ...]
 *
 * Starts of the lines in [start, end) that are at least about min_len bytes long (every line of
 * 2*chunk bytes or more is found; chunk = min_len / 2). Such a line holds a whole aligned chunk
 * with no newline, so one memchr per chunk finds them: in ordinary text memchr stops within a
 * few hundred bytes, so this costs almost nothing. Container runtimes split lines over 16 KiB into
 * partial records; an ID cut by such a split is found by looking at these lines.
 */
static PyObject *
long_lines(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, end, min_len;
    if (!PyArg_ParseTuple(args, "y*nnn", &view, &start, &end, &min_len))
        return NULL;
    if (start < 0)
        start = 0;
    if (end > view.len)
        end = view.len;
    Py_ssize_t chunk = min_len / 2 > 64 ? min_len / 2 : 64;
    const unsigned char *b = (const unsigned char *)view.buf;
    Py_ssize_t *found = NULL;
    size_t count = 0, cap = 0;
    int nomem = 0;

    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t pos = start;
    while (pos < end && !nomem) {
        Py_ssize_t cend = end - pos > chunk ? pos + chunk : end;
        const unsigned char *nl = memchr(b + pos, '\n', (size_t)(cend - pos));
        if (nl != NULL) {
            pos = (nl - b) + 1;
            continue;
        }
        if (cend - pos < chunk)
            break; /* the tail is shorter than a chunk */
        /* a long line covers [pos, cend): find where it starts and ends */
        Py_ssize_t ls = pos;
        while (ls > start && b[ls - 1] != '\n')
            ls--;
        if (!reserve(&found, &cap, count + 1, 16)) {
            nomem = 1;
            break;
        }
        found[count++] = ls;
        const unsigned char *le = memchr(b + cend, '\n', (size_t)(end - cend));
        pos = le == NULL ? end : (le - b) + 1;
    }
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&view);
    if (nomem) {
        PyMem_RawFree(found);
        return PyErr_NoMemory();
    }
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; list != NULL && i < count; i++) {
        PyObject *n = PyLong_FromSsize_t(found[i]);
        if (n == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, n);
    }
    PyMem_RawFree(found);
    return list;
}


/* merge_batches(batches, state, origin, limit) -> (out, count, origin, stalled)
 *
 * The parent's side of a parallel full read (devkit/logs/parallel.py): each source's worker sends
 * batches of rendered events, and they are merged here by time, ties in source order, never
 * reordering a source (what heapq.merge over (time, source index) gives), straight into the
 * output bytes. In Python the merge and the output cost about 2 us per event on the one core
 * that also runs a worker; here a few hundred ns.
 *
 * batches[i] is the current wire batch of source i (count u32, times f64[count], cuts i32[count],
 * lengths u32[count], texts), or None once the source has ended. state holds 2 int64 per source:
 * the next event of its batch and where its text starts. A text whose cut is >= 0 gets its
 * offset from the first time, "%+.3fs" (Python's "{:+.3f}s"; "-" without a time), inserted at the
 * cut; origin is that first time (NaN: not yet known). Returns when a live source's batch is used
 * up (stalled = its index: send its next batch, or None), when every source has ended (-1), or
 * once the output holds limit bytes (-2).
 */
struct wire {
    const char *base;
    Py_ssize_t n, len;
};

static int
wire_of(PyObject *obj, struct wire *w)
{
    if (!PyBytes_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "a batch must be bytes or None");
        return 0;
    }
    w->base = PyBytes_AS_STRING(obj);
    w->len = PyBytes_GET_SIZE(obj);
    uint32_t n = 0;
    if (w->len < 4) {
        PyErr_SetString(PyExc_ValueError, "batch too short");
        return 0;
    }
    memcpy(&n, w->base, 4);
    w->n = (Py_ssize_t)n;
    if (4 + 16 * w->n > w->len) {
        PyErr_SetString(PyExc_ValueError, "batch too short");
        return 0;
    }
    return 1;
}

static double
wire_time(const struct wire *w, Py_ssize_t i)
{
    double t;
    memcpy(&t, w->base + 4 + 8 * i, 8);
    return t;
}

static PyObject *
merge_batches(PyObject *self, PyObject *args)
{
    PyObject *batches;
    Py_buffer state;
    double origin;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!w*dn", &PyList_Type, &batches, &state, &origin, &limit))
        return NULL;
    Py_ssize_t k = PyList_GET_SIZE(batches);
    if (state.len < (Py_ssize_t)(2 * k * sizeof(int64_t)) || k > 4096) {
        PyBuffer_Release(&state);
        PyErr_SetString(PyExc_ValueError, "state must hold 2 int64 per batch");
        return NULL;
    }
    int64_t *st = (int64_t *)state.buf;
    struct wire w[4096];
    int live[4096];
    Py_ssize_t stalled = -1;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *b = PyList_GET_ITEM(batches, i);
        live[i] = b != Py_None;
        if (live[i] && !wire_of(b, &w[i])) {
            PyBuffer_Release(&state);
            return NULL;
        }
        if (live[i] && st[2 * i] >= w[i].n && stalled < 0)
            stalled = i; /* this source needs its next batch before anything can be merged */
    }
    char *out = NULL;
    size_t used = 0, cap = 0;
    Py_ssize_t count = 0;
    int bad = 0, nomem = 0;
    if (stalled < 0) {
        stalled = -1;
        for (;;) {
            Py_ssize_t best = -1;
            double bt = 0;
            for (Py_ssize_t i = 0; i < k; i++) {
                if (!live[i])
                    continue;
                double t = wire_time(&w[i], st[2 * i]);
                if (best < 0 || t < bt) { /* strict: a tie goes to the lower source index */
                    best = i;
                    bt = t;
                }
            }
            if (best < 0)
                break; /* every source has ended */
            struct wire *b = &w[best];
            Py_ssize_t e = st[2 * best];
            int32_t cut;
            uint32_t length;
            memcpy(&cut, b->base + 4 + 8 * b->n + 4 * e, 4);
            memcpy(&length, b->base + 4 + 12 * b->n + 4 * e, 4);
            int64_t at = 4 + 16 * b->n + st[2 * best + 1];
            if (at + (int64_t)length > b->len || (cut >= 0 && (uint32_t)cut > length)) {
                bad = 1;
                break;
            }
            if (used + length + 48 > cap) {
                size_t ncap = cap ? cap * 2 : (size_t)(limit > 0 ? limit : 1) + 4096;
                while (ncap < used + length + 48)
                    ncap *= 2;
                char *grown = PyMem_RawRealloc(out, ncap);
                if (grown == NULL) {
                    nomem = 1;
                    break;
                }
                out = grown;
                cap = ncap;
            }
            const char *text = b->base + at;
            if (cut >= 0) {
                memcpy(out + used, text, (size_t)cut);
                used += (size_t)cut;
                if (isinf(bt) && bt < 0) {
                    out[used++] = '-';
                } else {
                    if (isnan(origin))
                        origin = bt;
                    int m = snprintf(out + used, 48, "%+.3fs", bt - origin);
                    used += m > 0 && m < 48 ? (size_t)m : 0;
                }
                memcpy(out + used, text + cut, length - (size_t)cut);
                used += length - (size_t)cut;
            } else {
                memcpy(out + used, text, length);
                used += length;
            }
            count++;
            st[2 * best] = e + 1;
            st[2 * best + 1] += length;
            if (e + 1 >= b->n) {
                stalled = best;
                break;
            }
            if ((Py_ssize_t)used >= limit) {
                stalled = -2;
                break;
            }
        }
    }
    PyBuffer_Release(&state);
    if (bad || nomem) {
        PyMem_RawFree(out);
        if (nomem)
            return PyErr_NoMemory();
        PyErr_SetString(PyExc_ValueError, "batch texts do not match their lengths");
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(out ? out : "", (Py_ssize_t)used);
    PyMem_RawFree(out);
    if (bytes == NULL)
        return NULL;
    return Py_BuildValue("(Nndn)", bytes, count, origin, stalled);
}

static PyMethodDef methods[] = {
    {"merge_batches", merge_batches, METH_VARARGS,
     "merge_batches(batches, state, origin, limit) -> (out, count, origin, stalled)"},
    {"long_lines", long_lines, METH_VARARGS,
     "long_lines(buffer, start, end, min_len) -> starts of lines of at least about min_len bytes"},
    {"count_newlines", count_newlines, METH_VARARGS,
     "count_newlines(buffer, start, end) -> number of b'\\n' in buffer[start:end]"},
    {"scan", scan, METH_VARARGS,
     "scan(buffer, needle, start, end, limit) -> ([(offset, newlines_before)], newlines) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
