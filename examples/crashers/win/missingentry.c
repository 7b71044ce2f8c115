/* missingentry.exe: imports dk_new_function from dkold.dll, but the
 * dkold.dll shipped beside it is the old one, without that export.
 * Windows: STATUS_ENTRYPOINT_NOT_FOUND 0xC0000139 (3221225785), before main()
 * Wine:    loads anyway with a stub for the missing import; main() runs,
 *          and calling the stub raises 0x80000100 (the shell sees 1): README */
#include <stdio.h>

__declspec(dllimport) int dk_old_function(void);
__declspec(dllimport) int dk_new_function(void);

int main(void)
{
    printf("missingentry: dk_old_function() = %d\n", dk_old_function());
    fflush(stdout);
    printf("missingentry: dk_new_function() = %d\n", dk_new_function());
    return 0;
}
