/* An application written in C99 against the installed edgeinfer (tests/sdk/install_test.sh builds it
 * with the C compiler, through pkg-config and through find_package). It loads a model, runs one
 * sample with ei_submit + ei_request_wait and the same sample through ei_submit_callback, checks
 * that both give the same bytes, that a NaN input is refused naming the element, and prints where
 * the SoC profile came from (the installed share/edgeinfer/configs).
 *   edgeinfer-consumer-c MODEL.onnx [SOC]      exit 0 ok, 1 error */
#include <edgeinfer/edgeinfer.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct done {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int finished;
  ei_status status;
  float* out;
  size_t n;
};

static void on_done(ei_request* r, ei_status s, void* user) {
  struct done* d = (struct done*)user;
  ei_tensor* y = NULL;
  pthread_mutex_lock(&d->mu);
  d->status = s;
  if (s == EI_OK && ei_request_output(r, 0, &y) == EI_OK) {
    d->n = ei_tensor_element_count(y);
    d->out = (float*)malloc(d->n * sizeof(float));
    if (d->out) memcpy(d->out, ei_tensor_data(y), d->n * sizeof(float));
    ei_tensor_release(&y);
  }
  d->finished = 1;
  pthread_cond_signal(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

static int fail(const char* what, ei_status s) {
  fprintf(stderr, "error: %s: %s: %s\n", what, ei_status_name(s), ei_last_error());
  return 1;
}

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : "tiny_cnn.onnx";
  const char* soc = argc > 2 ? argv[2] : "orin-agx";
  ei_session* session = NULL;
  ei_model* model = NULL;
  ei_tensor* x = NULL;
  ei_tensor* y = NULL;
  ei_request* req = NULL;
  ei_status s;
  int64_t dims[8];
  size_t rank, i, n;
  float* px;
  const float* py;
  size_t best = 0;
  struct done d;
  int major, minor, patch;

  ei_version_numbers(&major, &minor, &patch);
  printf("edgeinfer %s (header %d.%d.%d)\n", ei_version(), EI_VERSION_MAJOR, EI_VERSION_MINOR, EI_VERSION_PATCH);
  if (major != EI_VERSION_MAJOR || minor != EI_VERSION_MINOR) {
    fprintf(stderr, "error: library %s does not match the header\n", ei_version());
    return 1;
  }
  if ((s = ei_session_create(soc, NULL, &session)) != EI_OK) return fail("session", s);
  printf("profile: %s (%s, power mode %s)\n", ei_session_soc_path(session), ei_session_soc_name(session),
         ei_session_power_mode(session));
  if ((s = ei_model_load(session, model_path, NULL, &model)) != EI_OK) return fail("model", s);
  printf("plan: %s\n", ei_model_plan(model));

  rank = ei_model_input_shape(model, 0, dims, 8);
  if (rank == 0 || rank > 8) return fail("input shape", EI_ERR_ARGUMENT);
  dims[0] = 1;
  if ((s = ei_tensor_create(EI_FLOAT32, dims, rank, &x)) != EI_OK) return fail("tensor", s);
  px = (float*)ei_tensor_data(x);
  n = ei_tensor_element_count(x);
  for (i = 0; i < n; ++i) px[i] = (float)sin(0.01 * (double)i);

  if ((s = ei_submit(model, &x, 1, &req)) != EI_OK) return fail("submit", s);
  if ((s = ei_request_wait(req, -1)) != EI_OK) return fail("wait", s);
  if ((s = ei_request_output(req, 0, &y)) != EI_OK) return fail("output", s);
  py = (const float*)ei_tensor_data(y);
  for (i = 1; i < ei_tensor_element_count(y); ++i)
    if (py[i] > py[best]) best = i;
  printf("output '%s': %lu values, argmax %lu\n", ei_model_output_name(model, 0),
         (unsigned long)ei_tensor_element_count(y), (unsigned long)best);

  pthread_mutex_init(&d.mu, NULL);
  pthread_cond_init(&d.cv, NULL);
  d.finished = 0;
  d.out = NULL;
  d.n = 0;
  if ((s = ei_submit_callback(model, &x, 1, on_done, &d)) != EI_OK) return fail("submit_callback", s);
  pthread_mutex_lock(&d.mu);
  while (!d.finished) pthread_cond_wait(&d.cv, &d.mu);
  pthread_mutex_unlock(&d.mu);
  if (d.status != EI_OK || !d.out || d.n != ei_tensor_element_count(y) || memcmp(d.out, py, d.n * sizeof(float)) != 0) {
    fprintf(stderr, "error: the callback's output differs from the waited one\n");
    return 1;
  }
  printf("callback: same %lu values\n", (unsigned long)d.n);
  free(d.out);

  px[3] = (float)NAN;
  s = ei_submit(model, &x, 1, &req);
  if (s != EI_ERR_INPUT) {
    fprintf(stderr, "error: a NaN input was not refused (%s)\n", ei_status_name(s));
    return 1;
  }
  printf("NaN refused: %s\n", ei_last_error());

  ei_tensor_release(&y);
  ei_request_release(&req);
  ei_tensor_release(&x);
  ei_session_destroy(&session);
  ei_session_destroy(&session); /* safe: session is NULL now */
  printf("ok\n");
  return 0;
}
