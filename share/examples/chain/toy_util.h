/*
 * toy_util.h - number parsing and tokenizing shared by the toy chain programs (static functions:
 * each program includes it once). Numbers as SPheno reads them: Fortran D exponents accepted.
 */
#ifndef TOY_UTIL_H
#define TOY_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parse all of @s as a finite double; 0 on success. Accepts Fortran's 1.0D+02, as SPheno does. */
static int parse_double(const char *s, double *out)
{
        char buf[64], *end, *d;

        if (strlen(s) >= sizeof(buf))
                return -1;
        strcpy(buf, s);
        if ((d = strpbrk(buf, "dD")) != NULL)
                *d = 'e';
        errno = 0;
        *out = strtod(buf, &end);
        return end == buf || *end != '\0' || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

static int parse_int(const char *s, long *out)
{
        char *end;

        errno = 0;
        *out = strtol(s, &end, 10);
        return end == s || *end != '\0' || errno == ERANGE ? -1 : 0;
}

/* Split @line in place at blanks, dropping a '#' comment; returns the token count. */
static int tokenize(char *line, char **tok, int max)
{
        int n = 0;
        char *p;

        if ((p = strchr(line, '#')) != NULL)
                *p = '\0';
        for (p = strtok(line, " \t\r\n"); p && n < max; p = strtok(NULL, " \t\r\n"))
                tok[n++] = p;
        return n;
}

#endif
