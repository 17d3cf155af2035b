# Replay of Meloneneis/DQN_Training: train_racing_sweep.py with deepq.learn()'s wandb calls.
# Source: https://github.com/Meloneneis/DQN_Training/blob/1e90891379eed2c6618b11a2ad3ebb6e4bbab21f/train_racing_sweep.py
#         https://github.com/Meloneneis/DQN_Training/blob/1e90891379eed2c6618b11a2ad3ebb6e4bbab21f/deepq.py
# Sweep: corpus 048 (bayes, metric "val_reward", impute: best). Command mode: wandb.init() with no
# arguments, then everything from wandb.config (attribute access and getattr with a default), the run
# name as the agent's id, config.update with derived values and again with the sweep's own values,
# several log rows per timestep, and wandb.save of the best checkpoint. The car-racing DQN is replaced
# by arithmetic.
import argparse
import os
import tempfile

import wandb

ACTION_SETS = {"large_precision": 12, "large_extended": 15, "xlarge_full": 16}
CNN = {"medium_3layer": [32, 64, 128], "large_4layer": [64, 128, 256, 256]}


def learn(lr, total_timesteps, gamma, batch_size, model_identifier, outdir, validation_freq,
          new_actions, cnn_channels, activation, use_wandb=False):
    if use_wandb:
        wandb.config.update({
            'lr': lr,
            'total_timesteps': total_timesteps,
            'batch_size': batch_size,
            'gamma': gamma,
            'validation_freq': validation_freq,
            'cnn_channels': cnn_channels,
            'cnn_num_layers': len(cnn_channels),
            'activation': activation,
        })
    best_val_reward = -float('inf')
    for t in range(1, total_timesteps + 1):
        loss = 1.0 / (t * lr * 1e4 + 1)
        if use_wandb:
            wandb.log({
                'training_loss': loss,
                'learning_rate': lr,
                'timestep': t
            })
        if t % validation_freq == 0:
            val_reward = 900 * gamma - 100 * loss + new_actions
            if use_wandb:
                wandb.log({
                    'val_reward': val_reward,
                    'best_val_reward': best_val_reward,
                    'timestep': t
                })
            if val_reward > best_val_reward:
                best_val_reward = val_reward
                best_checkpoint_path = os.path.join(outdir, f"{model_identifier}_best.pth")
                with open(best_checkpoint_path, "w") as fh:
                    fh.write("weights")
                if use_wandb:
                    wandb.log({
                        'best_val_reward': best_val_reward,
                        'timestep': t
                    })
                    wandb.save(best_checkpoint_path)


def train():
    wandb.init()
    config = wandb.config

    parser = argparse.ArgumentParser()
    parser.add_argument('--agent_name', type=str, default=None)
    parser.add_argument('--outdir', type=str, default=tempfile.mkdtemp())
    parser.add_argument('--validation_freq', type=int, default=5)
    args, unknown = parser.parse_known_args()
    os.makedirs(args.outdir, exist_ok=True)

    agent_name = args.agent_name if args.agent_name else wandb.run.name
    use_continuous_actions = getattr(config, 'use_continuous_actions', False)
    actions = None if use_continuous_actions else ACTION_SETS[config.action_config]
    cnn_channels = CNN[config.cnn_config]

    if use_continuous_actions:
        wandb.config.update({'action_type': 'continuous', 'action_dim': 3})
    else:
        wandb.config.update({
            'action_type': 'discrete',
            'num_actions': actions,
            'action_space_size': actions
        })
    print(f"lr: {config.lr}")

    learn(lr=config.lr, total_timesteps=config.total_timesteps, gamma=config.gamma,
          batch_size=config.batch_size, model_identifier=agent_name, outdir=args.outdir,
          validation_freq=args.validation_freq, new_actions=actions, cnn_channels=cnn_channels,
          activation=config.activation, use_wandb=True)
    wandb.finish()


if __name__ == '__main__':
    train()
