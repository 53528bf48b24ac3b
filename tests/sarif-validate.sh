#!/bin/sh
# sarif-validate.sh FILE — validates a SARIF file with the SARIF Multitool
# (npm @microsoft/sarif-multitool), installed on first use into tests/.npm.
# npm here does not run install scripts, so the binary is made executable by
# hand. Prints the number of errors and warnings (SARIF1004, a relative
# reference that cannot be combined with its base, is an error; SARIF2005, no
# informationUri, a warning); exits 77 (skip) when npm is unavailable.
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/.npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
if [ ! -x "$tool" ]; then
	command -v npm >/dev/null 2>&1 || { echo "SKIP: npm not found" >&2; exit 77; }
	npm install --prefix "$here/.npm" --no-audit --no-fund --silent @microsoft/sarif-multitool >/dev/null 2>&1 ||
		{ echo "SKIP: npm could not install @microsoft/sarif-multitool" >&2; exit 77; }
	chmod +x "$tool"
fi
out=$("$tool" validate --level "Error;Warning" "$1" 2>&1) || { printf '%s\n' "$out" >&2; echo "validator failed"; exit 1; }
printf 'SARIF errors: %s, warnings: %s\n' "$(printf '%s\n' "$out" | grep -c ': error ')" "$(printf '%s\n' "$out" | grep -c ': warning ')"
printf '%s\n' "$out" | grep ': error \|: warning ' >&2
exit 0
