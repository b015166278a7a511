#!/usr/bin/env bash
# Make the certificates the TLS tests and bench/tls.sh use, with openssl, at
# test time (nothing secret is committed): tests/tls/make-certs.sh DIR
#   ca.pem ca.key            the test CA (ECDSA P-256)
#   server.pem server.key    broker certificate for 127.0.0.1 and localhost
#   client.pem client.key    client certificate (for require_certificate)
#   client-enc.key           client.key encrypted with the passphrase in
#                            client-enc.pass (AES-256)
#   expired.pem expired.key  broker certificate that expired yesterday
#   other.pem other.key      broker certificate for another host name
#   name.pem name.key        broker certificate for the name localhost only
#   rogue-ca.pem rogue-client.pem rogue-client.key  a CA the broker does not
#                            know, and a client certificate it signed
#   server-rsa.pem server-rsa.key  broker certificate with an RSA-2048 key
#   server-ec.pem server-ec.key    the same with an ECDSA P-256 key
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
EC=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
RSA=(-newkey rsa:2048)
days=30

ca() {   # NAME: a self-signed CA
    openssl req -x509 "${EC[@]}" -nodes -keyout "$1.key" -out "$1.pem" -days $days -subj "/CN=mqttbench $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
# leaf NAME CA SAN DAYS KEYARGS...: a certificate signed by CA
leaf() {
    local name=$1 ca=$2 san=$3 d=$4; shift 4
    openssl req -new "$@" -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=mqttbench $name" \
        ${san:+-addext "subjectAltName=$san"} 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial -days "$d" \
        -copy_extensions copyall -out "$name.pem" 2>/dev/null
    rm -f "$name.csr"
}
ca ca
ca rogue-ca
leaf server ca "DNS:localhost,IP:127.0.0.1" $days "${EC[@]}"
leaf client ca "" $days "${EC[@]}"
leaf expired ca "DNS:localhost,IP:127.0.0.1" -1 "${EC[@]}"
leaf other ca "DNS:other.example" $days "${EC[@]}"
leaf name ca "DNS:localhost" $days "${EC[@]}"
leaf rogue-client rogue-ca "" $days "${EC[@]}"
leaf server-rsa ca "DNS:localhost,IP:127.0.0.1" $days "${RSA[@]}"
leaf server-ec ca "DNS:localhost,IP:127.0.0.1" $days "${EC[@]}"
echo "test-passphrase-$$" > client-enc.pass
openssl pkey -in client.key -aes256 -passout file:client-enc.pass -out client-enc.key
chmod 600 ./*.key
