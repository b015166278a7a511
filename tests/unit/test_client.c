/* Unit tests for the broker's answers as client.c reads them: CONNACK
 * refusals (MQTT 5 and 3.1.1) and SUBACK grants. */
#include "client.h"
#include "test.h"

#include <mqtt_protocol.h>
#include <stdio.h>
#include <string.h>

static void test_connack(void)
{
    char buf[256];
    client_connack_text(5, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION, buf, sizeof(buf));
    CHECKF("connack: v5 132 says the broker does not support MQTT 5",
           !strcmp(buf, "the broker does not support MQTT 5 (Unsupported Protocol Version); try -V 3.1.1"), "'%s'", buf);
    client_connack_text(5, CONNACK_REFUSED_PROTOCOL_VERSION, buf, sizeof(buf));
    CHECKF("connack: a 3.1.1 answer to a v5 CONNECT", strstr(buf, "does not support MQTT 5") &&
           strstr(buf, "try -V 3.1.1"), "'%s'", buf);
    client_connack_text(5, MQTT_RC_NOT_AUTHORIZED, buf, sizeof(buf));
    CHECKF("connack: v5 135 is named", !strcmp(buf, "Not authorized (MQTT 5 reason code 135)"), "'%s'", buf);
    client_connack_text(4, CONNACK_REFUSED_NOT_AUTHORIZED, buf, sizeof(buf));
    CHECKF("connack: 3.1.1 return codes as libmosquitto words them",
           !strcmp(buf, "Connection Refused: not authorised."), "'%s'", buf);
    /* Every CONNACK reason code of MQTT 5 (3.2.2.2) gets its own words. */
    static const int codes[] = { 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C,
                                 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F };
    int unknown = 0;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        client_connack_text(5, codes[i], buf, sizeof(buf));
        if (strstr(buf, "nknown reason")) {
            printf("  code 0x%02x: %s\n", codes[i], buf);
            unknown++;
        }
    }
    CHECKF("connack: no MQTT 5 refusal reads 'unknown reason'", unknown == 0, "%d codes", unknown);
}

static struct mb_config cfg_of(enum mb_mode mode, int pub_qos, int sub_qos, int qos)
{
    struct mb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    cfg.pub_qos = pub_qos;
    cfg.sub_qos = sub_qos;
    cfg.qos = qos;
    cfg.protocol = 4;
    return cfg;
}

static void test_grant(void)
{
    char err[300] = "";
    struct mb_config cfg = cfg_of(MB_MODE_BOTH, 2, 2, 2);
    CHECK("grant: QoS 2 granted as asked", client_check_grant(&cfg, 2, 2, "t", err, sizeof(err)) == 0);
    int rc = client_check_grant(&cfg, 2, 1, "t", err, sizeof(err));
    CHECKF("grant: QoS 1 for QoS 2 while publishing at 2 fails before publishing", rc == -1 &&
           !strcmp(err, "the broker granted QoS 1 to a QoS 2 subscription (it does not support QoS 2, like "
                        "RabbitMQ 3.x); use -q 1"), "'%s'", err);
    cfg = cfg_of(MB_MODE_BOTH, 1, 2, 0);
    CHECK("grant: a subscription downgrade at or above the publish QoS goes on",
          client_check_grant(&cfg, 2, 1, "t", err, sizeof(err)) == 0);
    CHECK("grant: ... but not below it", client_check_grant(&cfg, 2, 0, "t", err, sizeof(err)) == -1 &&
                                          strstr(err, "granted QoS 0 to a QoS 2 subscription") &&
                                          strstr(err, "use --pub-qos 0"));
    cfg = cfg_of(MB_MODE_SUB, 2, 2, 2);
    CHECK("grant: sub alone lives with a downgrade", client_check_grant(&cfg, 2, 1, "t", err, sizeof(err)) == 0);
    cfg = cfg_of(MB_MODE_PUB, 2, 2, 2);
    CHECK("grant: pub's probe at QoS 2 granted 1 fails", client_check_grant(&cfg, 2, 1, "$SYS/x", err, sizeof(err)) == -1
                                                         && strstr(err, "granted QoS 1"));
    cfg = cfg_of(MB_MODE_BOTH, 0, 0, 0);
    rc = client_check_grant(&cfg, 0, 0x80, "a/#", err, sizeof(err));
    CHECKF("grant: 3.1.1 refusal", rc == -1 &&
           !strcmp(err, "the broker refused the subscription to 'a/#' (SUBACK return code 0x80)"), "'%s'", err);
    cfg.protocol = 5;
    rc = client_check_grant(&cfg, 0, MQTT_RC_SHARED_SUBS_NOT_SUPPORTED, "$share/g/a", err, sizeof(err));
    CHECKF("grant: MQTT 5 refusal is named", rc == -1 && strstr(err, "'$share/g/a'") &&
           strstr(err, "hared") && !strstr(err, "nknown"), "'%s'", err);
}

static void test_sys_qos(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_PUB, 2, 0, 2);
    CHECK("sys qos: pub probes at its publish QoS", client_sys_qos(&cfg, true) == 2);
    cfg = cfg_of(MB_MODE_PUB, 0, 0, 0);
    CHECK("sys qos: control topics at least QoS 1", client_sys_qos(&cfg, true) == 1);
    cfg.mode = MB_MODE_BOTH;
    CHECK("sys qos: both at QoS 0 probes at 0", client_sys_qos(&cfg, false) == 0);
    cfg = cfg_of(MB_MODE_SUB, 0, 2, 2);
    CHECK("sys qos: sub reads control at QoS 1", client_sys_qos(&cfg, true) == 1);
}

int main(void)
{
    test_connack();
    test_grant();
    test_sys_qos();
    return test_failures ? 1 : 0;
}
