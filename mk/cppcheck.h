/* Definitions cppcheck cannot find on its own (make lint includes this first). */
#define cJSON_ArrayForEach(element, array) \
	for (element = (array != NULL) ? (array)->child : NULL; element != NULL; element = element->next)
