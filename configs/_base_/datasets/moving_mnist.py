# Moving MNIST, 2 digits, 64x64, 10 -> 10. Training sequences are drawn on the fly from the MNIST
# training digits; the test set is a fixed seeded set of 5,000 sequences of the test digits.
# On a GPU, `--cfg-options train_dataloader.dataset.render_on_device=True` has the workers return
# only digits and motion and draws each batch on the device (the same clips, no per-clip Python
# drawing; crevdet/datasets/moving_mnist_batch.py). On a CPU the workers' drawing is faster.
dataset_type = 'MovingMNISTDataset'
data_root = 'data/mnist/'

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, mnist_file=data_root + 'train-images-idx3-ubyte.gz',
                 digit_range=(0, 60000), num_digits=2, seq_len=20, num_sequences=10000))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, mnist_file=data_root + 't10k-images-idx3-ubyte.gz',
                 digit_range=(0, 10000), num_digits=2, seq_len=20, test_mode=True,
                 num_sequences=5000, seed=0))
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoPredictionMetric')
test_evaluator = val_evaluator
