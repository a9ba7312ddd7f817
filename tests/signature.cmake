# Tests of the optional signature component; only when OpenSSL was found (qurable::webhooks_signature exists).
if(TARGET qurable::webhooks_signature)
  qurable_add_test(signature_tests SOURCES test_signature.cpp LIBS qurable::webhooks_signature)
endif()
