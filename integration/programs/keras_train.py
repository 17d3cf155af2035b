"""A Keras 3 script as a W&B sweep user writes it: `wandb.init` + `WandbMetricsLogger` from wandb's
Keras integration (KERAS_BACKEND=torch here, so no TensorFlow).

A two-layer network fits y = 3x - 1 on synthetic data; the sweep tunes the learning rate and the
width. Under `minisweep agent` the callback logs `epoch/val_loss` to the sweep.
"""
import numpy as np
import keras

import wandb
from wandb.integration.keras import WandbMetricsLogger


def main():
    wandb.init(project="keras-integration", config={"learning_rate": 0.01, "units": 4, "epochs": 3})
    config = wandb.config

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(96, 1)).astype("float32")
    y = 3 * x - 1
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(config.units), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.learning_rate), loss="mse")
    model.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), epochs=config.epochs, batch_size=16,
              verbose=0, callbacks=[WandbMetricsLogger()])
    wandb.finish()


if __name__ == "__main__":
    main()
