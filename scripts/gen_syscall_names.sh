#!/bin/sh
# Regenerates src/capture/syscall_names_x86_64.inc from the installed UAPI headers.
# Numbers newer than the headers are appended by hand at the end of the file.
set -eu
grep -E "^#define __NR_" /usr/include/x86_64-linux-gnu/asm/unistd_64.h |
	awk '{sub("__NR_","",$2); printf "{%d, \"%s\"},\n",$3,$2}'
