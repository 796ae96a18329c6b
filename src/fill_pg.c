/* placeholder */
#include "fill_store.h"

const fill_store_ops fill_store_pg = {0};
