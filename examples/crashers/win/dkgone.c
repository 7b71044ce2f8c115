/* dkgone.dll: built so missingdll.exe can link against it, then NOT shipped
 * (it stays in build-win64/notshipped/). */
__declspec(dllexport) int dk_gone_function(void) { return 1; }
