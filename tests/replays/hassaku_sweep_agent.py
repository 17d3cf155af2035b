# Replay of karapostK/hassaku: sweep_agent.py with conf/conf_parser.parse_conf() and train/trainer.Trainer.
# Source: https://github.com/karapostK/hassaku/blob/8122a8e00a134379cc0a46b98d5e7fb3b45734ed/sweep_agent.py
#         https://github.com/karapostK/hassaku/blob/8122a8e00a134379cc0a46b98d5e7fb3b45734ed/conf/conf_parser.py
#         https://github.com/karapostK/hassaku/blob/8122a8e00a134379cc0a46b98d5e7fb3b45734ed/train/trainer.py
# Sweep: corpus 039 (bayes with run_cap, NESTED parameters running_settings.*, metric
# "max_optimizing_metric"). Command mode. Kept: init(job_type='train/val'), the wandb.config object
# itself handed to parse_conf, which writes defaults into it by item assignment, including INTO the
# nested running_settings dict it reads back from the config; `run.tags += (...)` on the run's tag
# tuple; config.update(conf) with the config itself; rows carrying the best value so far; finish().
# The recommender is replaced by arithmetic.
import os
import tempfile
import uuid

import wandb

DEF_SEED = 64
DEF_OPTIMIZING_METRIC = 'ndcg@10'


def generate_id():
    return str(uuid.uuid4())[:8]


def parse_conf(conf, alg, dataset):
    assert 'data_path' in conf, "Data path is missing from the configuration file"
    conf['alg'] = alg
    conf['time_run'] = generate_id()
    conf['dataset'] = dataset
    conf['dataset_path'] = os.path.join(conf['data_path'], conf['dataset'], 'processed_dataset')
    if 'model_save_path' not in conf:
        conf['model_save_path'] = tempfile.mkdtemp()
    conf['model_path'] = os.path.join(conf['model_save_path'], "{}-{}".format(alg, dataset), conf['time_run'])
    os.makedirs(conf['model_path'], exist_ok=True)
    if 'optimizing_metric' not in conf:
        conf['optimizing_metric'] = DEF_OPTIMIZING_METRIC
    if 'running_settings' not in conf:
        conf['running_settings'] = dict()
    if 'seed' not in conf['running_settings']:
        conf['running_settings']['seed'] = DEF_SEED
    if 'use_wandb' not in conf['running_settings']:
        conf['running_settings']['use_wandb'] = True
    if 'n_epochs' not in conf:
        conf['n_epochs'] = 10
    return conf


class Trainer:
    def __init__(self, conf):
        self.optimizing_metric = conf['optimizing_metric']
        self.n_epochs = conf['n_epochs']
        self.lr = conf['lr']
        self.use_wandb = conf['running_settings']['use_wandb']
        self._in_tune = False

    def val(self, epoch):
        return {'ndcg@10': 0.1 + 0.05 * (epoch + 1) * self.lr, 'recall@10': 0.2}

    def fit(self):
        log_dict = self.val(-1)
        self.best_value = log_dict['max_optimizing_metric'] = log_dict[self.optimizing_metric]
        self.best_epoch = log_dict['best_epoch'] = -1
        if self.use_wandb and not self._in_tune:
            wandb.log(log_dict)
        for epoch in range(self.n_epochs):
            log_dict = {'epoch_train_loss': 1.0 / (epoch + 1)}
            metrics_values = self.val(epoch)
            curr_value = metrics_values[self.optimizing_metric]
            if curr_value > self.best_value:
                self.best_value = metrics_values['max_optimizing_metric'] = curr_value
                self.best_epoch = metrics_values['best_epoch'] = epoch
            else:
                metrics_values['max_optimizing_metric'] = self.best_value
            log_dict.update(metrics_values)
            if self.use_wandb and not self._in_tune:
                wandb.log(log_dict)


def train_val_agent():
    run = wandb.init(job_type='train/val')
    conf = wandb.config
    alg = conf.alg
    dataset = conf.dataset
    conf = parse_conf(conf, alg, dataset)
    run.tags += (alg, dataset)
    wandb.config.update(conf)
    print('Algorithm is {} - Dataset is {}'.format(alg, dataset))
    seed = conf['running_settings']['seed']
    trainer = Trainer(conf)
    trainer.fit()
    wandb.finish()


train_val_agent()
