/* jsonfile: numbers read back bit-exact (where cJSON_Print may lose the last
 * bits), strings escaped as JSON, the layout of cJSON_Print, atomic writes. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonfile.h"
#include "reader.h"
#include "test.h"

/* Print x alone, parse it back with cJSON, and return the number. */
static double round_trip(double x, char *text, size_t len)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(x));
    char *s = jsonfile_print(a);
    snprintf(text, len, "%s", s ? s : "(null)");
    cJSON *b = cJSON_Parse(s);
    double v = cJSON_IsNumber(cJSON_GetArrayItem(b, 0)) ? cJSON_GetArrayItem(b, 0)->valuedouble : NAN;
    free(s);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return v;
}

static void test_numbers(void)
{
    static const double cases[] = {
        0, 1, -1, 0.1, 0.1 + 0.2, 152.576, 1e300, 5e-324, 9007199254740993.0, 9007199254740992.0,
        123456789012345678.0, 3.5420896244244214e+18, 311725007971.0, 1.0 / 3.0, 2.0 / 3.0 * 1e9,
        7793.125199275, 6076.6800348211, 6076.680034821102, 1e15 + 1, 1e16 + 2,
    };
    char text[64], name[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = round_trip(cases[i], text, sizeof(text));
        snprintf(name, sizeof(name), "number %s reads back bit-exact", text);
        CHECKF(name, v == cases[i], "%.17g became %.17g", cases[i], v);
    }
    round_trip(152.576, text, sizeof(text));
    CHECKF("number: shortest form", !strcmp(text, "[152.576]"), "%s", text);
    round_trip(311725007971.0, text, sizeof(text));
    CHECKF("number: integers without exponent", !strcmp(text, "[311725007971]"), "%s", text);
    round_trip(INFINITY, text, sizeof(text));
    CHECKF("number: infinity becomes null", !strcmp(text, "[null]"), "%s", text);
    round_trip(NAN, text, sizeof(text));
    CHECKF("number: NaN becomes null", !strcmp(text, "[null]"), "%s", text);

    /* The case that motivates jsonfile: cJSON_Print keeps 15 digits that give
     * the number back only within DBL_EPSILON. */
    double lossy = 0, x = 1152.4328849;
    for (int i = 0; i < 8; i++, x = nextafter(x, INFINITY)) {
        cJSON *n = cJSON_CreateNumber(x);
        char *s = cJSON_PrintUnformatted(n);
        if (strtod(s, NULL) != x) lossy = x;
        free(s);
        cJSON_Delete(n);
        if (lossy) break;
    }
    if (lossy) {
        CHECK("number: exact where cJSON_Print is not", round_trip(lossy, text, sizeof(text)) == lossy);
    } else {
        printf("# cJSON_Print was exact for the doubles next to 1152.4328849 here\n");
    }
}

static void test_layout(void)
{
    const char *src = "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001é\",\"a\":[1,2,{\"k\":true}],\"o\":{},\"e\":[],"
                      "\"n\":null,\"f\":false,\"x\":2.5}";
    cJSON *doc = cJSON_Parse(src);
    char *mine = jsonfile_print(doc), *theirs = cJSON_Print(doc);
    CHECKF("layout: as cJSON_Print", mine && theirs && !strcmp(mine, theirs), "\n%s\nvs\n%s", mine, theirs);
    cJSON *back = cJSON_Parse(mine);
    CHECK("layout: reads back equal", back && cJSON_Compare(doc, back, 1));
    CHECK("layout: escapes", mine && strstr(mine, "\"q\\\"b\\\\n\\n\\t\\u0001é\""));
    free(mine);
    free(theirs);
    cJSON_Delete(back);
    cJSON_Delete(doc);
}

static void test_write(void)
{
    char dir[] = "/tmp/mqttbench-test-jsonfile.XXXXXX", path[256], err[512];
    if (!mkdtemp(dir)) {
        CHECK("write: temp dir", 0);
        return;
    }
    snprintf(path, sizeof(path), "%s/sub/out.json", dir);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "mqttbench.result.v1");
    cJSON_AddNumberToObject(doc, "sum_ns", 3.5420896244244214e+18);
    int rc = jsonfile_write(doc, path, err, sizeof(err));
    CHECKF("write: creates the directory and the file", rc == 0, "%s", err);
    cJSON *back = NULL;
    rc = reader_load(path, &back, err, sizeof(err));
    CHECKF("write: reads back", rc == 0 && cJSON_GetObjectItem(back, "sum_ns")->valuedouble == 3.5420896244244214e+18,
           "%s", err);
    cJSON_Delete(back);
    FILE *f = fopen(path, "r");
    char buf[256] = "";
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    CHECK("write: ends with a newline", n > 0 && buf[n - 1] == '\n');
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    DIR *d = opendir(sub);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' || strncmp(e->d_name, ".mqttbench", 10) == 0) entries++;
    if (d) closedir(d);
    CHECK("write: no temp file left", entries == 1);
    rc = jsonfile_write(doc, "/proc/nope/deeper/x.json", err, sizeof(err));
    CHECKF("write: unwritable path fails with a message", rc == -1 && strncmp(err, "/proc/nope/deeper/x.json: ", 26) == 0,
           "%s", err);
    cJSON_Delete(doc);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    test_numbers();
    test_layout();
    test_write();
    return test_failures ? 1 : 0;
}
