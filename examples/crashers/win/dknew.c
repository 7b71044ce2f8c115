/* dkold.dll, "new" version: only used for its import library, so that
 * missingentry.exe imports dk_new_function from dkold.dll. Not shipped. */
__declspec(dllexport) int dk_old_function(void) { return 1; }
__declspec(dllexport) int dk_new_function(void) { return 2; }
