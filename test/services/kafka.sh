#!/usr/bin/env bash
# Starts or stops a real single-node Apache Kafka broker (KRaft mode) for the integration tests.
#
#   test/services/kafka.sh start STATE_DIR   # prints FINSTREAM_TEST_KAFKA=host:port, writes STATE_DIR/kafka.env
#   test/services/kafka.sh stop  STATE_DIR   # stops the broker; keeps STATE_DIR/kafka/broker.log
#   test/services/kafka.sh bounce STATE_DIR [DOWN_SECONDS]  # broker down that long, same data
#
# The broker's jars come from Maven Central through test/services/kafka-pom.xml, resolved once into
# ${FINSTREAM_CACHE:-~/.cache/finstream}. Ports are chosen free at start, so runs never collide.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: kafka.sh start|stop STATE_DIR}
state=${2:?usage: kafka.sh start|stop STATE_DIR}
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka-pom.xml")
libs="$cache/kafka-$version/libs"
dir="$state/kafka"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

resolve() {
  if [ -f "$libs/.complete" ]; then return; fi
  echo "kafka.sh: resolving Apache Kafka $version from Maven Central into $cache" >&2
  mvn -q -B -f "$here/kafka-pom.xml" -Dmaven.repo.local="$cache/m2" \
    dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  touch "$libs/.complete"
}

start() {
  resolve
  mkdir -p "$dir"
  rm -rf "$dir/data"
  local port cport
  port=$(free_port); cport=$(free_port)
  while [ "$cport" = "$port" ]; do cport=$(free_port); done
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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
  cluster_id=$(python3 -c 'import uuid,base64; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
    > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; exit 1; }
  launch "$port"
}

# Starts the broker of $dir/server.properties (formatted storage) and waits until it listens on
# port $1.
launch() {
  local port=$1
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$libs/*")
  local t0=$SECONDS
  nohup java "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >> "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  # Ready when the broker has registered itself and accepts connections on its listener.
  until grep -q "Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started" "$dir/broker.log" 2>/dev/null \
        && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
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
  echo "FINSTREAM_TEST_KAFKA=127.0.0.1:$port" > "$state/kafka.env"
  echo "kafka.sh: broker on 127.0.0.1:$port ready in $((SECONDS - t0)) s" >&2
  echo "FINSTREAM_TEST_KAFKA=127.0.0.1:$port"
}

# The broker down for DOWN seconds: stopped (SIGTERM, data kept), then started again on the same
# ports and data.
bounce() {
  local down=${1:-10} pid port
  pid=$(cat "$dir/pid")
  port=$(sed -n 's|^advertised.listeners=PLAINTEXT://127.0.0.1:||p' "$dir/server.properties")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  sleep "$down"
  launch "$port" > /dev/null
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
