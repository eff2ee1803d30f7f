#!/usr/bin/env bash
# flake.nix without network (its inputs cannot be fetched here): Debian's nix parses it, evaluates
# its inputs and the signature of its outputs, and the parsed text holds the dev shell's tools and
# the CMake package. A full `nix build`/`nix develop` is not possible offline.
set -euo pipefail
# shellcheck source=test/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tool nix-instantiate
flake=$src/flake.nix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NIX_STATE_DIR=$work/state NIX_LOG_DIR=$work/log NIX_CONF_DIR=$work/conf
mkdir -p "$NIX_CONF_DIR"
printf 'build-users-group =\nexperimental-features =\n' > "$NIX_CONF_DIR/nix.conf"

echo "--- nix-instantiate --parse"
nix-instantiate --parse "$flake" > "$work/parsed.nix" || fail "flake.nix does not parse"
echo "parsed ($(wc -c < "$work/parsed.nix") bytes)"

echo "--- inputs and outputs"
url=$(nix-instantiate --eval --strict -E "(import $flake).inputs.nixpkgs.url")
[[ $url =~ ^\"github:NixOS/nixpkgs/nixos-[0-9]{2}\.[0-9]{2}\"$ ]] || fail "nixpkgs input not a release branch: $url"
echo "nixpkgs input: $url"
args=$(nix-instantiate --eval --strict -E "builtins.attrNames (builtins.functionArgs (import $flake).outputs)")
[ "$args" = '[ "nixpkgs" "self" ]' ] || fail "outputs takes $args"

echo "--- dev shell tools and package build"
for word in pkgs.kubectl pkgs.kustomize pkgs.kubernetes-helm pkgs.terraform pkgs.ansible \
            pkgs.cmake pkgs.rdkafka pkgs.simdjson pkgs.spdlog pkgs.cli11 pkgs.tomlplusplus \
            pkgs.howard-hinnant-date pkgs.boost pkgs.postgresql devShells packages mkShell \
            '"-DFINSTREAM_TESTS=OFF"' 'actor-framework_0.17.6.orig.tar.gz'; do
  # The parsed form writes pkgs.x as (pkgs).x.
  grep -qF -- "${word/#pkgs./(pkgs).}" "$work/parsed.nix" || fail "flake.nix lacks $word"
done
echo "dev shell and package reference every tool and library"
echo "OK"
