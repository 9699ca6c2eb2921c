/* method.c - the table of scan methods. */
#include <config.h>

#include <string.h>

#include "mlscan/method.h"

static const struct mls_method_ops *const methods[] = {
        &mls_method_random,
        &mls_method_dnnr,
        &mls_method_dnnc,
        &mls_method_mls,
};

int mls_method_count(void)
{
        return (int)(sizeof(methods) / sizeof(methods[0]));
}

const struct mls_method_ops *mls_method_get(int i)
{
        return i >= 0 && i < mls_method_count() ? methods[i] : NULL;
}

int mls_method_find(const char *name)
{
        for (int i = 0; i < mls_method_count(); i++)
                if (strcmp(methods[i]->name, name) == 0)
                        return i;
        return -1;
}
