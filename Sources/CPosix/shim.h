// Linux calls that Swift's Glibc module does not show (glibc declares them only under _GNU_SOURCE).
#include <fcntl.h>

// renameat2(2), glibc >= 2.28: RENAME_EXCHANGE swaps two paths atomically (a folder replaced without a
// moment in which neither the old nor the new one is there); RENAME_NOREPLACE fails instead of replacing.
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
#define RAD_RENAME_NOREPLACE 1
#define RAD_RENAME_EXCHANGE 2
