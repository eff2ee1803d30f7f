// `yahoo_replay`: the Yahoo chart API replay server as a standalone process, for end-to-end tests.
// Prints the bound port on the first line of stdout, then serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sources/yahoo_replay.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Replays recorded Yahoo Finance chart API answers (see test/sources/README.md)"};
  finstream::test::yahoo_replay::options opt;
  std::vector<std::string> tls;
  std::vector<std::string> scripts;
  std::string make_cert;
  app.add_option("--port", opt.port, "port to listen on (0 = any free port)")->default_val(0);
  app.add_option("--bind", opt.bind, "address to bind")->default_val("127.0.0.1");
  app.add_option("--data", opt.data_dir, "directory of recorded *.json exchanges");
  app.add_option("--tls", tls, "serve HTTPS with this certificate and key (PEM)")->expected(2);
  app.add_option("--script", scripts,
                 "SYMBOL=STEPS, e.g. 'AAPL=429:1,500,ok' or '*=429' (repeatable)");
  app.add_option("--make-cert", make_cert,
                 "write a self-signed cert.pem/key.pem for localhost/127.0.0.1 into DIR and exit");
  CLI11_PARSE(app, argc, argv);

  try {
    if (!make_cert.empty()) {
      auto [cert, key] = finstream::test::make_self_signed_cert(make_cert);
      std::cout << cert << "\n" << key << std::endl;
      return 0;
    }
    if (opt.data_dir.empty()) {
      std::cerr << "yahoo_replay: --data DIR is required\n";
      return 2;
    }
    if (tls.size() == 2) {
      opt.cert_file = tls[0];
      opt.key_file = tls[1];
    }
    // Block the stop signals before the server thread starts, so that only sigwait sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    finstream::test::yahoo_replay server(opt);
    for (const auto& s : scripts) {
      auto eq = s.find('=');
      if (eq == std::string::npos)
        throw std::invalid_argument("--script expects SYMBOL=STEPS, got '" + s + "'");
      server.script(s.substr(0, eq), std::string_view(s).substr(eq + 1));
    }
    std::cout << server.port() << std::endl;
    std::cerr << "yahoo_replay: serving " << server.symbols().size() << " symbols on "
              << server.base_url() << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "yahoo_replay: " << e.what() << "\n";
    return 1;
  }
}
