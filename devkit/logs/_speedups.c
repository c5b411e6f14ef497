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

/* scan(buffer, needle, start, end, limit) -> ([(offset, newlines_before), ...], newlines) or None
 *
 * Every occurrence of needle that starts in [start, end), with the number of newlines in
 * [start, offset); and the newlines in all of [start, end). None when there are more than
 * limit occurrences (the caller then reads the file whole instead).
 */
static PyObject *
scan(PyObject *self, PyObject *args)
{
    Py_buffer view, needle;
    Py_ssize_t start, end, limit;
    if (!PyArg_ParseTuple(args, "y*y*nnn", &view, &needle, &start, &end, &limit))
        return NULL;
    if (start < 0)
        start = 0;
    if (end > view.len)
        end = view.len;
    const unsigned char *b = (const unsigned char *)view.buf;
    const Py_ssize_t m = needle.len;
    Py_ssize_t *hits = NULL;
    size_t count = 0, cap = 0, total = 0;
    int overflow = 0, nomem = 0;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t blk = start; blk < end && !overflow && !nomem;) {
        Py_ssize_t bend = end - blk > BLOCK ? blk + BLOCK : end;
        Py_ssize_t send = end - bend > m - 1 ? bend + m - 1 : end; /* a match may run past bend */
        Py_ssize_t pos = blk, counted = blk;
        while (m > 0 && send - pos >= m) {
            const unsigned char *p = memmem(b + pos, (size_t)(send - pos), needle.buf, (size_t)m);
            if (p == NULL || p - b >= bend)
                break;
            Py_ssize_t off = p - b;
            total += newlines_in(b, counted, off);
            counted = off;
            if ((Py_ssize_t)count >= limit) {
                overflow = 1;
                break;
            }
            if (!reserve(&hits, &cap, 2 * count + 2, 64)) {
                nomem = 1;
                break;
            }
            hits[2 * count] = off;
            hits[2 * count + 1] = (Py_ssize_t)total;
            count++;
            pos = off + 1;
        }
        total += newlines_in(b, counted, bend);
        blk = bend;
    }
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&view);
    PyBuffer_Release(&needle);
    if (nomem) {
        PyMem_RawFree(hits);
        return PyErr_NoMemory();
    }
    if (overflow) {
        PyMem_RawFree(hits);
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; list != NULL && i < count; i++) {
        PyObject *pair = Py_BuildValue("(nn)", hits[2 * i], hits[2 * i + 1]);
        if (pair == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, pair);
    }
    PyMem_RawFree(hits);
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

static PyMethodDef methods[] = {
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
