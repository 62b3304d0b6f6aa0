// speerctl client tsig: a client's TSIG keys (RFC 8945, hmac-sha256 only) for
// the DNS front end. The key name identifies the client; the secret is shown
// once, by `add --generate`, and never listed (listings name the keys only).
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

// 32 random bytes (the HMAC-SHA256 output size, RFC 8945 6) as base64.
std::string generated_secret() {
  std::array<unsigned char, st::kMinTsigSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Exit(exit_code::kInternal, "--generate: no random bytes from OpenSSL");
  }
  std::array<unsigned char, 4 * ((st::kMinTsigSecretBytes + 2) / 3) + 1> text{};
  const int n = EVP_EncodeBlock(text.data(), bytes.data(), static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(n));
}

std::string secret_from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Exit(exit_code::kUsage, "--secret-file " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

void register_client_tsig(CLI::App* client) {
  auto* group =
      client->add_subcommand("tsig", "TSIG keys of a client's DNS queries (RFC 8945, hmac-sha256)");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      std::string name, key_name, secret, secret_file, algorithm = "hmac-sha256";
      bool generate = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("add", "Add a TSIG key to a client");
    cmd->add_option("name", o->name, "the client's name")->required();
    cmd->add_option("--key-name", o->key_name,
                    "the key's name, a DNS name unique across clients (e.g. sbc-a.key)")
        ->required();
    cmd->add_option("--algorithm", o->algorithm, "hmac-sha256 (the only one)");
    auto* secret =
        cmd->add_option("--secret", o->secret, "the shared secret, base64 of at least 32 bytes");
    auto* file = cmd->add_option("--secret-file", o->secret_file,
                                 "read the base64 secret from this file (not on the command line)")
                     ->excludes(secret);
    cmd->add_flag("--generate", o->generate, "make a random 32-byte secret and print it once")
        ->excludes(secret)
        ->excludes(file);
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, secret, file] {
      // Refused here, by name, before the store sees it.
      if (auto a = st::validate::tsig_algorithm(o->algorithm); !a) {
        throw Exit(exit_code::kUsage, "--algorithm " + a.error());
      }
      if (!o->generate && secret->count() == 0 && file->count() == 0) {
        throw Exit(exit_code::kUsage, "give --secret BASE64, --secret-file FILE or --generate");
      }
      st::TsigKey k;
      k.name = o->key_name;
      k.algorithm = o->algorithm;
      k.secret = o->generate         ? generated_secret()
                 : file->count() > 0 ? secret_from_file(o->secret_file)
                                     : o->secret;
      if (auto v = st::validate::tsig_secret(k.secret); !v) {
        throw Exit(exit_code::kUsage, (o->generate ? "--generate: " : "--secret: ") + v.error());
      }
      st::UpdateClient u;
      u.name = o->name;
      u.add_tsig_keys.push_back(k);
      auto s = open_or_exit(*o);
      const auto report = apply_or_exit(*s, {u}, *o);
      if (report.already_applied) {
        say("client " + o->name + ": TSIG key " + o->key_name +
            " was added already (by this operation); its secret is the one given then");
        return;
      }
      say("client " + o->name + ": TSIG key " + o->key_name + " added (hmac-sha256)");
      if (o->generate) {
        // Shown once: the store keeps it, speerctl never prints it again.
        std::cout << "secret: " << k.secret << "\n"
                  << "(shown once; e.g. dig -y hmac-sha256:" << o->key_name << ":" << k.secret
                  << " ...)\n";
      }
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name, key_name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("remove", "Remove a TSIG key of a client");
    cmd->add_option("name", o->name, "the client's name")->required();
    cmd->add_option("--key-name", o->key_name, "the key's name")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      st::UpdateClient u;
      u.name = o->name;
      u.remove_tsig_keys.push_back(o->key_name);
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {u}, *o);
      say("client " + o->name + ": TSIG key " + o->key_name + " removed");
    });
  }
}

}  // namespace speerctl
