/* dkold.dll, "old" version: what is shipped next to missingentry.exe.
 * It has dk_old_function but not dk_new_function. */
__declspec(dllexport) int dk_old_function(void) { return 1; }
