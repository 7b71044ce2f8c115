/* dkbits.dll: the 64-bit build only provides the import library for
 * wrongbits.exe (kept in build-win64/dll64/); the dkbits.dll shipped beside
 * wrongbits.exe is this same source built 32-bit (i686-w64-mingw32-gcc). */
__declspec(dllexport) int dk_bits_function(void) { return (int)sizeof(void *) * 8; }
