# Nix flake of finstream: `nix develop` gives the build dependencies plus the deployment tools
# (kubectl, kustomize, helm, terraform, ansible, gcloud, linters); `nix build` builds the finstream
# binary with CMake. The first `nix develop` or `nix build` writes flake.lock, which pins nixpkgs.
{
  description = "finstream: stock data pipeline (C++17, CAF actors, Kafka, PostgreSQL)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f (import nixpkgs {
        inherit system;
        # Terraform is BUSL-licensed (unfree to nixpkgs); nothing else unfree is allowed in.
        config.allowUnfreePredicate = pkg: builtins.elem (nixpkgs.lib.getName pkg) [ "terraform" ];
      }));

      # finstream is written against CAF 0.17 (Debian 12's libcaf-dev); nixpkgs ships a newer CAF
      # with another API, so 0.17.6 is built from the same source tarball Debian uses.
      caf017 = pkgs: pkgs.stdenv.mkDerivation {
        pname = "actor-framework";
        version = "0.17.6";
        src = pkgs.fetchurl {
          url = "mirror://debian/pool/main/a/actor-framework/actor-framework_0.17.6.orig.tar.gz";
          sha256 = "e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c";
        };
        nativeBuildInputs = [ pkgs.cmake ];
        buildInputs = [ pkgs.openssl ];
        cmakeFlags = [
          "-DCAF_NO_EXAMPLES=yes" "-DCAF_NO_UNIT_TESTS=yes" "-DCAF_NO_OPENCL=yes"
          "-DCAF_NO_PYTHON=yes" "-DCAF_NO_TOOLS=yes" "-DCAF_NO_COMPILER_CHECK=yes"
        ];
        # Newer GCCs no longer pull <cstdint> in transitively; CAF 0.17 relied on that.
        env.NIX_CFLAGS_COMPILE = "-include cstdint";
        meta.license = pkgs.lib.licenses.bsd3;
      };

      buildDeps = pkgs: [
        (caf017 pkgs)
        pkgs.rdkafka
        pkgs.postgresql
        pkgs.boost
        pkgs.openssl
        pkgs.simdjson
        pkgs.spdlog
        pkgs.cli11
        pkgs.tomlplusplus
        pkgs.howard-hinnant-date
      ];
    in
    {
      packages = forAllSystems (pkgs: rec {
        finstream = pkgs.stdenv.mkDerivation {
          pname = "finstream";
          version = "0.1.0";
          src = self;
          nativeBuildInputs = [ pkgs.cmake pkgs.ninja pkgs.pkg-config ];
          buildInputs = buildDeps pkgs;
          # The test suite needs a PostgreSQL server and a Kafka broker: scripts/test.sh runs it.
          cmakeFlags = [ "-DCMAKE_BUILD_TYPE=Release" "-DFINSTREAM_TESTS=OFF" ];
          installPhase = ''
            runHook preInstall
            install -Dm755 finstream $out/bin/finstream
            runHook postInstall
          '';
          meta = {
            description = "Stock data pipeline: fetch, Kafka, technical indicators, PostgreSQL";
            license = pkgs.lib.licenses.asl20;
            mainProgram = "finstream";
          };
        };
        default = finstream;
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.finstream ];
          packages = [
            # build and test
            pkgs.ccache pkgs.catch2 pkgs.clang-tools pkgs.postgresql pkgs.jdk17_headless pkgs.maven
            # deployment (infra/deploy.sh, k8s/)
            pkgs.kubectl pkgs.kustomize pkgs.kubernetes-helm pkgs.terraform pkgs.ansible
            pkgs.google-cloud-sdk pkgs.podman
            # the infra tests' linters
            pkgs.ansible-lint pkgs.tflint pkgs.checkov pkgs.shellcheck pkgs.yamllint
          ];
        };
      });
    };
}
