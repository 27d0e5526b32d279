#include "probes/stacks/python311_offsets.h"

#ifdef IOTRACE_HAVE_PY311
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <stddef.h>
#include <string.h>

int iot_python311_offsets(struct iot_py311_offsets *o)
{
	o->interp_head = offsetof(_PyRuntimeState, interpreters.head);
	o->threads_head = offsetof(PyInterpreterState, threads.head);
	o->ts_next = offsetof(PyThreadState, next);
	o->ts_native_tid = offsetof(PyThreadState, native_thread_id);
	o->ts_cframe = offsetof(PyThreadState, cframe);
	o->cf_current = offsetof(_PyCFrame, current_frame);
	o->fr_code = offsetof(_PyInterpreterFrame, f_code);
	o->fr_previous = offsetof(_PyInterpreterFrame, previous);
	o->fr_prev_instr = offsetof(_PyInterpreterFrame, prev_instr);
	o->fr_is_entry = offsetof(_PyInterpreterFrame, is_entry);
	o->ob_type = offsetof(PyObject, ob_type);
	o->co_filename = offsetof(PyCodeObject, co_filename);
	o->co_qualname = offsetof(PyCodeObject, co_qualname);
	o->co_firstlineno = offsetof(PyCodeObject, co_firstlineno);
	o->co_linetable = offsetof(PyCodeObject, co_linetable);
	o->co_code_adaptive = offsetof(PyCodeObject, co_code_adaptive);
	o->str_length = offsetof(PyASCIIObject, length);
	o->str_state = offsetof(PyASCIIObject, hash) + sizeof(Py_hash_t);
	o->str_ascii_data = sizeof(PyASCIIObject);
	o->str_compact_data = sizeof(PyCompactUnicodeObject);
	/* state is a bit-field: find its bits by setting each in a blank object */
	{
		PyASCIIObject a;
		uint32_t w;
		memset(&a, 0, sizeof(a));
		a.state.ascii = 1;
		memcpy(&w, (char *)&a + o->str_state, sizeof(w));
		o->str_ascii_bit = w;
		memset(&a, 0, sizeof(a));
		a.state.compact = 1;
		memcpy(&w, (char *)&a + o->str_state, sizeof(w));
		o->str_compact_bit = w;
		memset(&a, 0, sizeof(a));
		a.state.kind = 7;
		memcpy(&w, (char *)&a + o->str_state, sizeof(w));
		o->str_kind_mask = w;
		memset(&a, 0, sizeof(a));
		a.state.kind = PyUnicode_1BYTE_KIND;
		memcpy(&w, (char *)&a + o->str_state, sizeof(w));
		o->str_kind_one = w;
	}
	o->bytes_size = offsetof(PyVarObject, ob_size);
	o->bytes_data = offsetof(PyBytesObject, ob_sval);
	o->code_unit = sizeof(_Py_CODEUNIT);
	return PY_VERSION_HEX >> 16 == 0x030B;
}
#else
int iot_python311_offsets(struct iot_py311_offsets *o)
{
	(void)o;
	return 0;
}
#endif
