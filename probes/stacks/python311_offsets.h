/* Struct offsets of the CPython 3.11 interpreter, taken by the compiler from the interpreter's
 * own headers (python3.11-dev) rather than typed in, so they match Debian's build. A running
 * interpreter is used only when its Py_Version says 3.11, and the frames read with these offsets
 * are checked (each code object's type must be PyCode_Type) before they are shown. */
#ifndef IOTRACE_PYTHON311_OFFSETS_H
#define IOTRACE_PYTHON311_OFFSETS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iot_py311_offsets {
	uint32_t interp_head, threads_head, ts_next, ts_native_tid, ts_cframe, cf_current;
	uint32_t fr_code, fr_previous, fr_prev_instr, fr_is_entry;
	uint32_t ob_type, co_filename, co_qualname, co_firstlineno, co_linetable, co_code_adaptive;
	uint32_t str_length, str_state, str_ascii_data, str_compact_data; /* PyASCIIObject */
	uint32_t str_ascii_bit, str_compact_bit, str_kind_mask, str_kind_one; /* in state's word */
	uint32_t bytes_size, bytes_data;                                   /* PyBytesObject */
	uint32_t code_unit;                                                /* sizeof(_Py_CODEUNIT) */
};

/* Returns 0 when iotrace was built without CPython 3.11's headers. */
int iot_python311_offsets(struct iot_py311_offsets *o);

#ifdef __cplusplus
}
#endif
#endif
