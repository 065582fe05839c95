// Cyrus SASL, opened on first use. Compiled only into the static build (the prebuilt binary).
//
// librdkafka calls libsasl2 for one mechanism: GSSAPI (Kerberos). PLAIN, SCRAM and OAUTHBEARER
// are its own code. Linking libsasl2.so.2 would make every user install it (minimal container
// images lack it), and Debian's libsasl2.a carries its plugins' dependencies (Kerberos and SQL
// client libraries). So these definitions satisfy librdkafka's references and open the system's
// Cyrus SASL library the first time a GSSAPI connection starts: TURBOKAFKA_SASL_LIBRARY if set,
// else libsasl2.so.2 (Debian, Ubuntu, Alpine) or libsasl2.so.3 (Fedora, RHEL). Without one, that
// connection fails with an error naming what to install; nothing else is affected.
#include <dlfcn.h>
#include <sasl/sasl.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Sasl {
  decltype(&::sasl_client_init) client_init = nullptr;
  decltype(&::sasl_client_new) client_new = nullptr;
  decltype(&::sasl_client_start) client_start = nullptr;
  decltype(&::sasl_client_step) client_step = nullptr;
  decltype(&::sasl_dispose) dispose = nullptr;
  decltype(&::sasl_errdetail) errdetail = nullptr;
  decltype(&::sasl_errstring) errstring = nullptr;
  decltype(&::sasl_getprop) getprop = nullptr;
  decltype(&::sasl_listmech) listmech = nullptr;
  int init_result = SASL_FAIL;
  std::string why;  // set when the library could not be used
};

template <typename Fn>
bool Bind(void* lib, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  return *out != nullptr;
}

// Opens and initialises libsasl2 once. Thread-safe: librdkafka's broker threads race here.
const Sasl& Library() {
  static Sasl sasl;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* forced = std::getenv("TURBOKAFKA_SASL_LIBRARY");
    std::vector<const char*> names{"libsasl2.so.2", "libsasl2.so.3"};
    if (forced != nullptr && *forced != '\0') names = {forced};
    void* lib = nullptr;
    std::string tried;
    for (const char* name : names) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
      tried += std::string(tried.empty() ? "" : "; ") + dlerror();
    }
    if (lib == nullptr) {
      sasl.why =
          "SASL GSSAPI needs the system's Cyrus SASL library, which did not load (" + tried +
          "). Install it and its Kerberos plugin: apt-get install libsasl2-2 libsasl2-modules-gssapi-mit, "
          "or dnf install cyrus-sasl-lib cyrus-sasl-gssapi";
      return;
    }
    bool ok = Bind(lib, "sasl_client_init", &sasl.client_init) &&
              Bind(lib, "sasl_client_new", &sasl.client_new) &&
              Bind(lib, "sasl_client_start", &sasl.client_start) &&
              Bind(lib, "sasl_client_step", &sasl.client_step) && Bind(lib, "sasl_dispose", &sasl.dispose) &&
              Bind(lib, "sasl_errdetail", &sasl.errdetail) && Bind(lib, "sasl_errstring", &sasl.errstring) &&
              Bind(lib, "sasl_getprop", &sasl.getprop) && Bind(lib, "sasl_listmech", &sasl.listmech);
    if (!ok) {
      sasl.why = "the SASL library that loaded lacks a function librdkafka needs: it is not Cyrus SASL 2";
      return;
    }
    sasl.init_result = sasl.client_init(nullptr);
    if (sasl.init_result != SASL_OK)
      sasl.why =
          std::string("sasl_client_init failed: ") + sasl.errstring(sasl.init_result, nullptr, nullptr);
  });
  return sasl;
}

}  // namespace

extern "C" {

// librdkafka calls this once per process from its global initialisation, GSSAPI or not: the real
// initialisation waits for the first GSSAPI connection.
int sasl_client_init(const sasl_callback_t*) { return SASL_OK; }

int sasl_client_new(const char* service, const char* server_fqdn, const char* local, const char* remote,
                    const sasl_callback_t* callbacks, unsigned flags, sasl_conn_t** conn) {
  const Sasl& s = Library();
  if (!s.why.empty()) return SASL_FAIL;
  return s.client_new(service, server_fqdn, local, remote, callbacks, flags, conn);
}

// Called by librdkafka for SASL_FAIL from sasl_client_new above, which is where an unusable
// library shows up: the explanation becomes the connection's error.
const char* sasl_errstring(int code, const char* langs, const char** outlang) {
  const Sasl& s = Library();
  if (!s.why.empty()) return s.why.c_str();
  return s.errstring(code, langs, outlang);
}

// The rest are only reached with a connection, which only a working library hands out.
int sasl_client_start(sasl_conn_t* conn, const char* mechs, sasl_interact_t** need, const char** out,
                      unsigned* outlen, const char** mech) {
  return Library().client_start(conn, mechs, need, out, outlen, mech);
}

int sasl_client_step(sasl_conn_t* conn, const char* in, unsigned inlen, sasl_interact_t** need,
                     const char** out, unsigned* outlen) {
  return Library().client_step(conn, in, inlen, need, out, outlen);
}

void sasl_dispose(sasl_conn_t** conn) {
  if (conn != nullptr && *conn != nullptr) Library().dispose(conn);
}

const char* sasl_errdetail(sasl_conn_t* conn) { return Library().errdetail(conn); }

int sasl_getprop(sasl_conn_t* conn, int prop, const void** value) {
  return Library().getprop(conn, prop, value);
}

int sasl_listmech(sasl_conn_t* conn, const char* user, const char* prefix, const char* sep,
                  const char* suffix, const char** result, unsigned* len, int* count) {
  return Library().listmech(conn, user, prefix, sep, suffix, result, len, count);
}

}  // extern "C"
