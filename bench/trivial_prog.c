/* trivial_prog.c - the cheapest "physics code": writes "y 1" to the file named by argv[1]. */
#include <stdio.h>

int main(int argc, char **argv)
{
        FILE *f;

        if (argc < 2 || !(f = fopen(argv[1], "w")))
                return 2;
        fputs("# trivial\ny 1\n", f);
        return fclose(f) != 0;
}
