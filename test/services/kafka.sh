#!/usr/bin/env bash
# Starts or stops a real single-node Apache Kafka broker (KRaft mode) for the integration tests.
#
#   test/services/kafka.sh start STATE_DIR   # prints FINSTREAM_TEST_KAFKA=host:port, writes STATE_DIR/kafka.env
#   test/services/kafka.sh stop  STATE_DIR   # stops the broker; keeps STATE_DIR/kafka/broker.log
#   test/services/kafka.sh bounce STATE_DIR [DOWN_SECONDS]  # broker down that long, same data
#
# Besides the PLAINTEXT listener the broker has a SASL_SSL one (SASL/PLAIN, TLS with a CA made at
# start in STATE_DIR/kafka/tls): kafka.env also holds FINSTREAM_TEST_KAFKA_SASL=host:port,
# FINSTREAM_TEST_KAFKA_SASL_USER, FINSTREAM_TEST_KAFKA_SASL_PASSWORD (random per start) and
# FINSTREAM_TEST_KAFKA_CA (the CA's PEM file), for the tests of Kafka security settings.
#
# The broker's jars come from Maven Central through test/services/kafka-pom.xml, resolved once into
# ${FINSTREAM_CACHE:-~/.cache/finstream}. Ports are chosen free at start, so runs never collide.
# FINSTREAM_SERVICE_ADDRESS (default 127.0.0.1): the local address the PLAINTEXT listener binds and
# ADVERTISES (clients follow advertised listeners), e.g. a veth end for a replica in a network
# namespace; the controller and SASL_SSL listeners stay on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: kafka.sh start|stop STATE_DIR}
state=${2:?usage: kafka.sh start|stop STATE_DIR}
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka-pom.xml")
libs="$cache/kafka-$version/libs"
dir="$state/kafka"
addr=${FINSTREAM_SERVICE_ADDRESS:-127.0.0.1}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

resolve() {
  if [ -f "$libs/.complete" ]; then return; fi
  echo "kafka.sh: resolving Apache Kafka $version from Maven Central into $cache" >&2
  mvn -q -B -f "$here/kafka-pom.xml" -Dmaven.repo.local="$cache/m2" \
    dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  touch "$libs/.complete"
}

# A CA and a broker certificate for 127.0.0.1 (PKCS12 keystore), made fresh at each start.
make_tls() {
  local tls=$1 pass=$2
  rm -rf "$tls"; mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=finstream test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/broker.key" -out "$tls/broker.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$tls/san.ext"
  openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 30 -extfile "$tls/san.ext" -out "$tls/broker.pem" 2>/dev/null
  openssl pkcs12 -export -in "$tls/broker.pem" -inkey "$tls/broker.key" -certfile "$tls/ca.pem" \
    -name broker -passout "pass:$pass" -out "$tls/broker.p12"
}

start() {
  resolve
  mkdir -p "$dir"
  rm -rf "$dir/data"
  local port cport sport
  port=$(free_port); cport=$(free_port); sport=$(free_port)
  while [ "$cport" = "$port" ]; do cport=$(free_port); done
  while [ "$sport" = "$port" ] || [ "$sport" = "$cport" ]; do sport=$(free_port); done
  local sasl_password store_password
  sasl_password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  store_password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  make_tls "$dir/tls" "$store_password"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://$addr:$port,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport
advertised.listeners=PLAINTEXT://$addr:$port,SASL_SSL://127.0.0.1:$sport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_finstream="$sasl_password";
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=$store_password
ssl.key.password=$store_password
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
  cat > "$dir/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
PROPS
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$libs/*")
  local cluster_id
  # A KRaft cluster id is 16 random bytes in URL-safe base64; one starting with '-' would be read
  # as an option by kafka-storage, so draw again (1 in 64).
  cluster_id=$(python3 -c 'import uuid,base64
while True:
    c = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not c.startswith("-"):
        print(c)
        break')
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
    > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; exit 1; }
  launch "$addr" "$port"
  {
    echo "FINSTREAM_TEST_KAFKA=$addr:$port"
    echo "FINSTREAM_TEST_KAFKA_SASL=127.0.0.1:$sport"
    echo "FINSTREAM_TEST_KAFKA_SASL_USER=finstream"
    echo "FINSTREAM_TEST_KAFKA_SASL_PASSWORD=$sasl_password"
    echo "FINSTREAM_TEST_KAFKA_CA=$dir/tls/ca.pem"
  } > "$state/kafka.env"
  echo "FINSTREAM_TEST_KAFKA=$addr:$port"
}

# Starts the broker of $dir/server.properties (formatted storage) and waits until it listens on
# address $1, port $2.
launch() {
  local host=$1 port=$2
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$libs/*")
  local t0=$SECONDS skip=0
  # The log is appended to across restarts (bounce): only this start's lines count.
  [ -f "$dir/broker.log" ] && skip=$(wc -l < "$dir/broker.log")
  nohup java "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >> "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  # Ready when the broker has registered itself and accepts connections on its listener.
  until tail -n "+$((skip + 1))" "$dir/broker.log" 2>/dev/null | grep -q "Kafka Server started" \
        && (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "kafka.sh: broker exited during start-up; log: $dir/broker.log" >&2
      tail -n 30 "$dir/stdout.log" "$dir/broker.log" >&2 || true
      exit 1
    fi
    if (( SECONDS - t0 > 60 )); then
      echo "kafka.sh: broker not ready within 60 s; log: $dir/broker.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "kafka.sh: broker on $host:$port ready in $((SECONDS - t0)) s" >&2
}

# The broker down for DOWN seconds: stopped (SIGTERM, data kept), then started again on the same
# ports and data.
bounce() {
  local down=${1:-10} pid host port
  pid=$(cat "$dir/pid")
  host=$(sed -n 's|^advertised.listeners=PLAINTEXT://\([^:]*\):.*|\1|p' "$dir/server.properties")
  port=$(sed -n 's|^advertised.listeners=PLAINTEXT://[^:]*:\([0-9]*\).*|\1|p' "$dir/server.properties")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  sleep "$down"
  launch "$host" "$port"
}

stop() {
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { echo "kafka.sh: broker did not stop in 30 s, killing" >&2; kill -KILL "$pid"; }
  fi
  rm -f "$dir/pid" "$state/kafka.env"
  rm -rf "$dir/data"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  bounce) bounce "${3:-10}" ;;
  *) echo "usage: kafka.sh start|stop|bounce STATE_DIR [DOWN_SECONDS]" >&2; exit 2 ;;
esac
