/* wrongbits.exe (64-bit): imports dk_bits_function from dkbits.dll, and the
 * dkbits.dll beside it is a 32-bit DLL.
 * Windows: STATUS_INVALID_IMAGE_FORMAT 0xC000007B (3221225595), before main()
 * Wine 8:  skips the wrong-bitness DLL and reports 0xC0000135 (DLL_NOT_FOUND) */
#include <stdio.h>

__declspec(dllimport) int dk_bits_function(void);

int main(void)
{
    printf("wrongbits: dkbits.dll is %d-bit\n", dk_bits_function());
    return 0;
}
