/* Definitions cppcheck cannot find on its own (make lint includes this first). */
#define cJSON_ArrayForEach(element, array) \
	for (element = (array != NULL) ? (array)->child : NULL; element != NULL; element = element->next)
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}
