/* missingdll.exe: imports dk_gone_function from dkgone.dll, which is not
 * shipped next to it. The loader fails before main() runs.
 * Windows: STATUS_DLL_NOT_FOUND 0xC0000135 (3221225781), and a message box
 *          "The code execution cannot proceed because dkgone.dll was not found"
 * Wine:    0xC0000135 as well (the shell sees 53 = 0x35, the low byte); with
 *          WINEDEBUG unset it also prints "err:module:import_dll Library
 *          dkgone.dll ... not found" */
#include <stdio.h>

__declspec(dllimport) int dk_gone_function(void);

int main(void)
{
    printf("missingdll: dk_gone_function() = %d (dkgone.dll was found?!)\n", dk_gone_function());
    return 0;
}
