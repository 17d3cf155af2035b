"""Reading metrics from a program's output, on samples in the layouts real frameworks print.

Every sample below is written here, in the layout of the framework named next
to it; the comment cites the source file that prints that layout.  Each test
asserts the exact values (and steps) read, and what Kubeflow Katib's default
stdout collector would capture from the same text, for comparison.
"""

import re
import tracemalloc
import unittest

from minisweep.errors import ConfigError
from minisweep.outputmetrics import KATIB_DEFAULT_FILTER, LineSplitter, MetricReader, check_pattern

BS = "\b"

# ------------------------------------------------------------------------------ the samples
# (name, declared names, output bytes, rows minisweep reads, values Katib's default filter reads)
SAMPLES = [
    # several name=value pairs on one line, as a plain print() writes them
    ("pairs with =", ["loss", "acc"], b"epoch=3 loss=0.2134 acc=0.9312 lr=0.001\n",
     [{"loss": 0.2134, "acc": 0.9312}], {"loss": [0.2134], "acc": [0.9312]}),
    # pairs with ': ' and commas
    ("pairs with :", ["loss", "acc"], b"epoch: 3, loss: 0.2134, acc: 0.9312\n",
     [{"loss": 0.2134, "acc": 0.9312}], {}),
    # one pair, capitalised (names are case-sensitive, as in W&B)
    ("Loss: value", ["Loss"], b"Loss: 0.43\n", [{"Loss": 0.43}], {}),
    # a name then its value, separated by spaces
    ("name value", ["loss", "epoch"], b"epoch 3 loss 0.2134\n", [{"epoch": 3, "loss": 0.2134}], {}),
    # Keras 2 Progbar (keras-team/tf-keras tf_keras/utils/generic_utils.py, Progbar.update): "Epoch 3/10",
    # then redraws that open with \b * previous width and \r; the last one (finalize) ends with \n
    ("Keras 2 progress bar", ["loss", "accuracy", "val_loss"],
     (b"Epoch 3/10\n"
      b"\r 1/10 [==>...........................] - ETA: 0s - loss: 0.3012 - accuracy: 0.9000"
      + BS.encode() * 80 +
      b"\r 9/10 [==========================>...] - ETA: 0s - loss: 0.2990 - accuracy: 0.9111"
      + BS.encode() * 80 +
      b"\r10/10 [==============================] - 0s 2ms/step - loss: 0.2958 - accuracy: 0.9148"
      b" - val_loss: 0.3105 - val_accuracy: 0.9050\n"),
     [{"loss": 0.2958, "accuracy": 0.9148, "val_loss": 0.3105, "_step": 3}], {}),
    # Keras 3 Progbar (keras-team/keras keras/src/utils/progbar.py): ANSI bold/colour, '━' bars,
    # redraws with \b and \r even in a pipe ("posix" in sys.modules)
    ("Keras 3 progress bar", ["loss", "val_loss"],
     (b"Epoch 2/5\n"
      b"\x1b[1m 1/10\x1b[0m \x1b[32m\xe2\x94\x81\xe2\x94\x81\x1b[0m\x1b[37m\xe2\x94\x81\xe2\x94\x81\x1b[0m"
      b" \x1b[1m0s\x1b[0m 3ms/step - accuracy: 0.9000 - loss: 0.3012"
      + BS.encode() * 60 +
      b"\r\x1b[1m10/10\x1b[0m \x1b[32m\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\x1b[0m\x1b[37m\x1b[0m"
      b" \x1b[1m1s\x1b[0m 4ms/step - accuracy: 0.9148 - loss: 0.2958 - val_accuracy: 0.9050"
      b" - val_loss: 3.1050e-04\n"),
     [{"loss": 0.2958, "val_loss": 0.0003105, "_step": 2}], {}),
    # tqdm (tqdm/tqdm tqdm/std.py, format_meter and set_postfix: sorted keys, '{:.3g}' numbers);
    # every drawing starts with \r, close() ends the last one with \n
    ("tqdm postfix", ["loss", "acc"],
     ("\rEpoch 2:   0%|          | 0/3 [00:00<?, ?it/s]"
      "\rEpoch 2:  33%|\u2588\u2588\u2588\u258e      | 1/3 [00:00<00:00, 6842.26it/s, acc=0.5, loss=0.3]"
      "\rEpoch 2: 100%|\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588| 3/3 [00:00<00:00, 5144.16it/s,"
      " acc=0.9, loss=0.141]\n").encode("utf-8"),
     [{"acc": 0.9, "loss": 0.141}], {"acc": [0.5, 0.9], "loss": [0.3, 0.141]}),
    # logging's default format (cpython Lib/logging/__init__.py, BASIC_FORMAT "%(levelname)s:%(name)s:%(message)s")
    ("logging, basicConfig", ["loss"], b"INFO:train:epoch=3 loss=0.2134\n", [{"loss": 0.2134}], {"loss": [0.2134]}),
    # a logging format with asctime ("%Y-%m-%d %H:%M:%S,mmm", Lib/logging/__init__.py Formatter.default_time_format)
    ("logging, asctime", ["val_loss"], b"2024-05-01 10:00:00,123 - train - INFO - val_loss: 0.3105\n",
     [{"val_loss": 0.3105}], {}),
    # Hugging Face Trainer (huggingface/transformers src/transformers/trainer_callback.py, ProgressCallback.on_log
    # writes str(logs) through tqdm.write)
    ("HF Trainer dict", ["loss", "eval_loss"],
     (b"{'loss': 0.6931, 'grad_norm': 1.2345, 'learning_rate': 4.5e-05, 'epoch': 0.5}\n"
      b"{'eval_loss': 0.5512, 'eval_accuracy': 0.8125, 'eval_runtime': 1.2345, 'eval_samples_per_second': 97.2,"
      b" 'eval_steps_per_second': 12.15, 'epoch': 1.0}\n"),
     [{"loss": 0.6931}, {"eval_loss": 0.5512}], {}),
    # a JSON line with nested keys, read as a.b (json.dumps of a nested dict)
    ("JSON, nested", ["val.loss", "train.loss"],
     b'{"step": 10, "train": {"loss": 0.2}, "val": {"loss": 0.25, "acc": 0.9}, "tags": ["a", "b"]}\n',
     [{"train.loss": 0.2, "val.loss": 0.25}], {}),
    # Lightning's test() table with rich installed (Lightning-AI/pytorch-lightning
    # src/lightning/pytorch/loops/evaluation_loop.py, _EvaluationLoop._print_results)
    ("Lightning test table (rich)", ["test_loss", "test_acc"],
     (u"\u250f" + u"\u2501" * 27 + u"\u2533" + u"\u2501" * 27 + u"\u2513\n"
      u"\u2503        Test metric        \u2503       DataLoader 0        \u2503\n"
      u"\u2521" + u"\u2501" * 27 + u"\u2547" + u"\u2501" * 27 + u"\u2529\n"
      u"\u2502         test_acc          \u2502    0.9120000004768372     \u2502\n"
      u"\u2502         test_loss         \u2502    0.2468312382698059     \u2502\n"
      u"\u2514" + u"\u2500" * 27 + u"\u2534" + u"\u2500" * 27 + u"\u2518\n").encode("utf-8"),
     [{"test_acc": 0.9120000004768372}, {"test_loss": 0.2468312382698059}], {}),
    # the same table without rich: centred columns between rules of '─'
    ("Lightning test table (plain)", ["test_loss", "test_acc"],
     (u"\u2500" * 60 + u"\n       Test metric             DataLoader 0\n" + u"\u2500" * 60 +
      u"\n        test_acc            0.9120000004768372\n        test_loss           0.2468312382698059\n"
      + u"\u2500" * 60 + u"\n").encode("utf-8"),
     [{"test_acc": 0.9120000004768372}, {"test_loss": 0.2468312382698059}], {}),
    # XGBoost (dmlc/xgboost python-package/xgboost/callback.py, EvaluationMonitor: "[%d]" then
    # "\t{data}-{metric}:{score:.5f}" per evaluation set); W&B's xgboost callback uses the same names
    ("XGBoost eval", ["validation_0-logloss"],
     b"[0]\tvalidation_0-logloss:0.61534\tvalidation_1-logloss:0.62011\n"
     b"[1]\tvalidation_0-logloss:0.55201\tvalidation_1-logloss:0.56990\n",
     [{"validation_0-logloss": 0.61534, "_step": 0}, {"validation_0-logloss": 0.55201, "_step": 1}], {}),
    # LightGBM (microsoft/LightGBM python-package/lightgbm/callback.py, log_evaluation and
    # _format_eval_result "{data}'s {metric}: {value:g}"); W&B's lightgbm callback names it {data}_{metric}
    ("LightGBM eval", ["valid_0_l2"],
     b"[1]\tvalid_0's l2: 0.245871\tvalid_0's l1: 0.412\n[2]\tvalid_0's l2: 0.221\tvalid_0's l1: 0.398\n",
     [{"valid_0_l2": 0.245871, "_step": 1}, {"valid_0_l2": 0.221, "_step": 2}], {}),
]


def read_all(reader, data, chunk=7):
    """Feed ``data`` in small chunks (lines and \\r\\n pairs split across chunks), then close."""
    rows = []
    for i in range(0, len(data), chunk):
        rows += reader.feed(data[i:i + chunk])
    return rows + reader.close()


def katib_reads(names, data):
    """What Katib's default collector takes: its filter on every \\n-line, kept for the declared names."""
    found = {}
    for line in data.decode("utf-8", "replace").split("\n"):
        for m in re.finditer(KATIB_DEFAULT_FILTER, line):
            if m.group(1).strip() in names:
                found.setdefault(m.group(1).strip(), []).append(float(m.group(2)))
    return found


class FormatsTest(unittest.TestCase):
    def test_each_format_gives_the_exact_values_and_steps(self):
        for name, names, data, expected, _ in SAMPLES:
            for chunk in (1, 7, len(data)):
                with self.subTest(format=name, chunk=chunk):
                    self.assertEqual(read_all(MetricReader(names), data, chunk), expected)

    def test_what_katib_default_collector_reads_from_the_same_output(self):
        captured = {name: katib for name, names, data, _, katib in SAMPLES if katib_reads(names, data)}
        for name, names, data, _, katib in SAMPLES:
            with self.subTest(format=name):
                self.assertEqual(katib_reads(names, data), katib)
        # Katib reads name=value only: 3 of these layouts (and the tqdm redraws as extra values)
        self.assertEqual(sorted(captured), ["logging, basicConfig", "pairs with =", "tqdm postfix"])

    def test_every_name_mode_takes_undeclared_pairs_dict_keys_and_table_rows(self):
        reader = MetricReader(every=True)
        self.assertEqual(reader.read_line("epoch=3 loss=0.2134 acc: 0.93 note 5"),
                         {"epoch": 3, "loss": 0.2134, "acc": 0.93})  # 'note 5' has no ':' or '='
        self.assertEqual(reader.read_line("{'loss': 0.69, 'epoch': 1.0, 'run': 'a'}"), {"loss": 0.69, "epoch": 1.0})
        self.assertEqual(reader.read_line(u"\u2502   test_acc   \u2502   0.91   \u2502"), {"test_acc": 0.91})
        self.assertEqual(reader.read_line("[7]\ttrain-rmse:0.4\teval-rmse:0.5"),
                         {"train-rmse": 0.4, "eval-rmse": 0.5, "_step": 7})


class DeclaredNamesTest(unittest.TestCase):
    def test_config_dumps_and_argv_echoes_are_ignored(self):
        output = (
            b"Namespace(batch_size=64, epochs=10, loss='ce', lr=0.001, target_loss=0.1)\n"  # argparse echo
            b"argv: ['train.py', '--lr=0.001', '--loss=0.5', '--acc=1']\n"               # sys.argv echo
            b"$ python train.py --loss=0.5 --acc 0.3\n"                                  # a shell echo
            b"lr: 0.001\nbatch_size: 64\nweight_decay: 0.0001\n"                        # a YAML dump
            b"{'metric': 'loss', 'loss': 'cross_entropy', 'target_loss': 0.1, 'lr': 0.001}\n"  # a dict dump
            b'{"optimizer": {"lr": 0.001, "betas": [0.9, 0.999]}}\n'                    # a JSON dump
            b"loss=0.75\n")                                                              # the one metric line
        self.assertEqual(read_all(MetricReader(["loss", "acc"]), output), [{"loss": 0.75}])

    def test_names_match_exactly(self):
        reader = MetricReader(["loss"])
        for line in ("val_loss: 0.3", "Loss: 0.3", "loss_ema=0.3", "train/loss=0.3", "my-loss=0.2", "total.loss 0.1"):
            with self.subTest(line=line):
                self.assertIsNone(reader.read_line(line))
        self.assertEqual(reader.read_line("train/loss=0.3 loss=0.2"), {"loss": 0.2})

    def test_no_declared_name_reads_nothing(self):
        self.assertEqual(read_all(MetricReader([]), b"loss=0.5\n{'loss': 0.5}\n"), [])

    def test_what_is_not_a_value(self):
        reader = MetricReader(["t", "acc", "loss", "epoch"])
        for line in ("t: 12:30:01", "acc: 93%", "epoch 3/10", "loss: 1s", "loss=0.5.1", "loss: 2024-05-01",
                     "loss=abc", "loss=", "loss=-"):
            with self.subTest(line=line):
                self.assertIsNone(reader.read_line(line))

    def test_number_forms(self):
        reader = MetricReader(["a", "b", "c", "d", "e"])
        row = reader.read_line("a=-1e-3 b=+2 c=nan d=-inf e=.5")
        self.assertEqual((row["a"], row["b"], row["d"], row["e"]), (-0.001, 2, float("-inf"), 0.5))
        self.assertNotEqual(row["c"], row["c"])
        self.assertEqual(reader.read_line("a=tensor(0.2500, grad_fn=<MeanBackward0>) b: np.float64(0.125)"),
                         {"a": 0.25, "b": 0.125})
        self.assertEqual(reader.read_line("{'a': np.float32(0.5), 'b': tensor(3), 'c': NaN, 'd': Infinity}")["d"],
                         float("inf"))
        # XGBoost's cv prints mean+std (python-package/xgboost/callback.py, _fmt_metric): the mean is the value
        self.assertEqual(MetricReader(["test-rmse"]).read_line("[3]\ttrain-rmse:0.10000+0.01000\ttest-rmse:0.20000+0.02000"),
                         {"test-rmse": 0.2, "_step": 3})


class StreamTest(unittest.TestCase):
    def test_carriage_returns_split_lines_and_only_the_last_drawing_counts(self):
        reader = MetricReader(["loss"])
        self.assertEqual(reader.feed(b"loss=0.9\rloss=0.8\rloss=0.7"), [])
        self.assertEqual(reader.feed(b"\n"), [{"loss": 0.7}])
        self.assertEqual(reader.feed(b"loss=0.6\r"), [])       # \r at a chunk's end: wait for the next byte
        self.assertEqual(reader.feed(b"\nloss=0.5\r\n"), [{"loss": 0.6}, {"loss": 0.5}])  # \r\n is a line end
        self.assertEqual(reader.feed(b"loss=0.4"), [])
        self.assertEqual(reader.close(), [{"loss": 0.4}])        # the last line, without a line end

    def test_invalid_utf8_is_tolerated(self):
        self.assertEqual(read_all(MetricReader(["loss"]), b"\xff\xfe caf\xc3 loss=0.5 \x80\n\xc3\x28 loss=0.25\n"),
                         [{"loss": 0.5}, {"loss": 0.25}])

    def test_a_huge_line_costs_at_most_the_cap(self):
        reader = MetricReader(["loss"], max_line=4096)
        chunk = b"x" * 65536
        tracemalloc.start()
        try:
            self.assertEqual(reader.feed(b"loss=0.5 "), [])
            for _ in range(800):  # 50 MB without a line end
                reader.feed(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 1024 * 1024)
        self.assertEqual(reader.feed(b" loss=0.9\nloss=0.25\n"), [{"loss": 0.5}, {"loss": 0.25}])  # head kept

    def test_splitter_keeps_the_head_of_a_long_line(self):
        s = LineSplitter(max_line=4)
        self.assertEqual(s.feed(b"abcdefgh\nij"), [(b"abcd", True)])
        self.assertEqual(s.close(), [(b"ij", True)])


class PatternTest(unittest.TestCase):
    def test_a_good_pattern_replaces_the_layouts(self):
        pattern = check_pattern(r"METRIC (?P<name>\w+) is (?P<value>[-+]?\d+(?:\.\d+)?)")
        reader = MetricReader(["loss"], pattern=pattern)
        self.assertEqual(reader.read_line("METRIC acc is 0.9; METRIC loss is 0.25"), {"acc": 0.9, "loss": 0.25})
        self.assertIsNone(reader.read_line("loss=0.5"))

    def test_bad_patterns_are_refused_in_one_line(self):
        table = [
            (r"(?P<name>\w+)=(\d+)", "needs the named groups (?P<name>...) and (?P<value>...); 'value' missing"),
            (r"(\w+)=(\d+)", "'name' and 'value' missing"),
            (r"(?P<name>\w+)=(?P<value>\S+)", "the group 'value' also matches 'abc', which is not a number"),
            (r"(?P<name>\w+)=(?P<value>.*)", "also matches '', which is not a number"),
            (r"(?P<name>\w+)=(?P<value>[\d.]+)", "also matches '.', which is not a number"),
            (r"(?P<name>\w+=(?P<value>\d+)", "not a regular expression"),
        ]
        for pattern, message in table:
            with self.subTest(pattern=pattern):
                with self.assertRaises(ConfigError) as cm:
                    check_pattern(pattern)
                self.assertIn(message, str(cm.exception))
                self.assertTrue(str(cm.exception).startswith("--metric-pattern: "), str(cm.exception))
                self.assertNotIn("\n", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
