/* The compiled kernel of the Common/Combined fast path (analyzer.formats.kernel wraps it).

   scan finds the fields of each line in one sequential loop, each line's bytes touched once
   while they are in cache, and vouches for what the RE2 line pattern would capture of them
   (tests/formats/test_fast.py holds whole parses equal to the RE2 reference): the lines it
   does not vouch for are left to RE2.

   encode_ranges dictionary-encodes byte ranges of the buffer (one hash table, values in order
   of first appearance, as pyarrow's dictionary_encode gives, hashed under the caller's key:
   encode.c, hash.h), so a text field is hashed where it lies instead of first being copied out
   into a string array. split and sections cut
   values by the RE2 patterns' captures (cuts.c, wrapped by analyzer.formats.compiled); the
   time is read in times.c.

   Outputs go into buffers the caller allocates (numpy arrays), so no numpy headers are needed;
   the GIL is released while the loops run. */
#include "kernel.h"

int writable(PyObject *object, Py_buffer *view, Py_ssize_t needed, const char *what) {
    if (PyObject_GetBuffer(object, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return 0;
    if (view->len < needed) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes given, %zd needed", what, view->len, needed);
        PyBuffer_Release(view);
        return 0;
    }
    return 1;
}

/* Whether every range from[i]..to[i] lies in data of `size` bytes; else a ValueError. */
int inside(const int64_t *from, const int64_t *to, Py_ssize_t count, Py_ssize_t size) {
    for (Py_ssize_t at = 0; at < count; at++)
        if (from[at] < 0 || to[at] < from[at] || to[at] > size) {
            PyErr_Format(PyExc_ValueError, "range %zd (%lld..%lld) lies outside the data", at, (long long)from[at],
                         (long long)to[at]);
            return 0;
        }
    return 1;
}

/* line_count(data) -> (newlines, all ASCII, middle, newlines before middle): `middle` is where
   the first line at or after the middle byte starts (0: no newline there), where a second
   thread can start scanning; both halves counted in the one pass. */
static PyObject *line_count(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    const unsigned char *bytes = data.buf;
    Py_ssize_t before, after, middle;
    int ascii_before, ascii_after;
    Py_BEGIN_ALLOW_THREADS
    const unsigned char *newline = memchr(bytes + data.len / 2, '\n', (size_t)(data.len - data.len / 2));
    middle = newline == NULL ? 0 : newline - bytes + 1;
    Text first = {bytes, middle}, second = {bytes + middle, data.len - middle};
    before = count_newlines(&first, &ascii_before);
    after = count_newlines(&second, &ascii_after);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return Py_BuildValue("(nOnn)", before + after, ascii_before && ascii_after ? Py_True : Py_False, middle, before);
}

static PyObject *nul_or_cr(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    Text text = {data.buf, data.len};
    int found;
    Py_BEGIN_ALLOW_THREADS
    found = holds_nul_or_cr(&text);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return PyBool_FromLong(found);
}

/* scan(data, lines, max_line_bytes, tail, ints, flags[, first_byte, first_line, last_line]): the
   fields of the first `lines` lines, or of lines first_line..last_line, the first of them
   starting at byte first_byte (a part of the data, for one of two threads). */
static PyObject *scan(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data, ints, flags;
    Py_ssize_t lines, max_line_bytes, first_byte = 0, first_line = 0, last_line = -1;
    int tail;
    PyObject *ints_object, *flags_object;
    if (!PyArg_ParseTuple(args, "y*nnpOO|nnn", &data, &lines, &max_line_bytes, &tail, &ints_object,
                          &flags_object, &first_byte, &first_line, &last_line))
        return NULL;
    if (lines < 0) lines = 0;
    if (last_line < 0 || last_line > lines) last_line = lines;
    if (first_byte < 0 || first_byte > data.len || first_line < 0 || first_line > last_line) {
        PyErr_SetString(PyExc_ValueError, "first_byte inside the data, and first_line..last_line inside the lines");
        PyBuffer_Release(&data);
        return NULL;
    }
    if (!writable(ints_object, &ints, (Py_ssize_t)sizeof(int64_t) * INT_ROWS * lines, "ints")) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (!writable(flags_object, &flags, FLAG_ROWS * lines, "flags")) {
        PyBuffer_Release(&ints);
        PyBuffer_Release(&data);
        return NULL;
    }
    Text text = {data.buf, data.len};
    Py_ssize_t found;
    Py_BEGIN_ALLOW_THREADS
    found = scan_lines(&text, lines, max_line_bytes, tail, ints.buf, flags.buf, first_byte, first_line, last_line);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&flags);
    PyBuffer_Release(&ints);
    PyBuffer_Release(&data);
    return PyLong_FromSsize_t(found);
}

/* split(kind, data, offsets, out): per value, the rows of `kind` (see cuts.c). */
static PyObject *split(PyObject *module, PyObject *args) {
    (void)module;
    int kind;
    Py_buffer data, offsets, out;
    PyObject *out_object;
    if (!PyArg_ParseTuple(args, "iy*y*O", &kind, &data, &offsets, &out_object)) return NULL;
    Py_ssize_t count = offsets.len / (Py_ssize_t)sizeof(int64_t) - 1;
    Py_ssize_t rows = SPLIT_ROWS(kind);
    PyObject *result = NULL;
    int have_out = 0;
    if (count < 0 || kind < SPLIT_REQUESTS || kind > SPLIT_PREFIXES) {
        PyErr_SetString(PyExc_ValueError, "offsets: one more than the values, please; kind: 0, 1 or 2");
        goto done;
    }
    if (!(have_out = writable(out_object, &out, (Py_ssize_t)sizeof(int64_t) * rows * count, "out"))) goto done;
    const int64_t *at = offsets.buf;
    if (!inside(at, at + 1, count, data.len)) goto done; /* value i is at[i]..at[i + 1] */
    int64_t *found = out.buf;
    const unsigned char *bytes = data.buf;
    Py_BEGIN_ALLOW_THREADS
    split_values(kind, bytes, at, count, found);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    if (have_out) PyBuffer_Release(&out);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

/* sections(data, starts, stops, out): per row, where the section of the request
   data[starts[i]:stops[i]] starts and stops (see cuts.c). */
static PyObject *sections(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data, starts, stops, out;
    PyObject *out_object, *result = NULL;
    int have_out = 0;
    if (!PyArg_ParseTuple(args, "y*y*y*O", &data, &starts, &stops, &out_object)) return NULL;
    Py_ssize_t rows = starts.len / (Py_ssize_t)sizeof(int64_t);
    if (stops.len != starts.len) {
        PyErr_SetString(PyExc_ValueError, "starts and stops differ in length");
        goto done;
    }
    if (!(have_out = writable(out_object, &out, 2 * starts.len, "out"))) goto done;
    const int64_t *from = starts.buf, *to = stops.buf;
    if (!inside(from, to, rows, data.len)) goto done;
    Py_BEGIN_ALLOW_THREADS
    request_sections(data.buf, from, to, rows, out.buf);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    if (have_out) PyBuffer_Release(&out);
    PyBuffer_Release(&stops);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&data);
    return result;
}

/* gather(data, starts, stops, offsets) -> bytes: the ranges data[starts[i]:stops[i]] one after
   another, and in offsets (rows + 1) where each begins: an Arrow string array's two buffers. */
static PyObject *gather(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data, starts, stops, offsets;
    PyObject *offsets_object, *joined = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*O", &data, &starts, &stops, &offsets_object)) return NULL;
    int have_offsets = 0;
    Py_ssize_t rows = starts.len / (Py_ssize_t)sizeof(int64_t);
    if (stops.len != starts.len || starts.len % (Py_ssize_t)sizeof(int64_t) != 0) {
        PyErr_SetString(PyExc_ValueError, "starts and stops of the same rows");
        goto done;
    }
    if (!(have_offsets = writable(offsets_object, &offsets, (rows + 1) * (Py_ssize_t)sizeof(int64_t), "offsets")))
        goto done;
    const int64_t *from = starts.buf, *to = stops.buf;
    if (!inside(from, to, rows, data.len)) goto done;
    Py_ssize_t total = 0;
    for (Py_ssize_t row = 0; row < rows; row++) total += to[row] - from[row];
    if ((joined = PyBytes_FromStringAndSize(NULL, total)) == NULL) goto done;
    char *into = PyBytes_AS_STRING(joined);
    const char *bytes = data.buf;
    int64_t *at = offsets.buf;
    Py_BEGIN_ALLOW_THREADS
    at[0] = 0;
    for (Py_ssize_t row = 0; row < rows; row++) {
        memcpy(into + at[row], bytes + from[row], (size_t)(to[row] - from[row]));
        at[row + 1] = at[row] + (to[row] - from[row]);
    }
    Py_END_ALLOW_THREADS
done:
    if (have_offsets) PyBuffer_Release(&offsets);
    PyBuffer_Release(&stops);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&data);
    return joined;
}

static PyMethodDef methods[] = {
    {"line_count", line_count, METH_VARARGS, "line_count(data) -> (newlines, whether all bytes are ASCII, middle, newlines before middle)"},
    {"nul_or_cr", nul_or_cr, METH_VARARGS, "nul_or_cr(data) -> whether data holds a NUL or a carriage return"},
    {"scan", scan, METH_VARARGS, "scan(data, lines, max_line_bytes, tail, ints, flags[, first_byte, first_line, last_line]) -> the line reached"},
    {"encode_ranges", encode_ranges, METH_VARARGS,
     "encode_ranges(data, fields, starts, stops, codes, firsts, key) -> the distinct values of each field"},
    {"hash_ranges", hash_ranges, METH_VARARGS, "hash_ranges(data, starts, stops, key, out, sip): each range's hash"},
    {"gather", gather, METH_VARARGS, "gather(data, starts, stops, offsets) -> the ranges' bytes joined"},
    {"split", split, METH_VARARGS, "split(kind, data, offsets, out): requests, sections or prefixes cut"},
    {"sections", sections, METH_VARARGS, "sections(data, starts, stops, out): the section of each request"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
