#!/usr/bin/python3
"""Peers for `npm run bench:ml`: scikit-learn 1.2 and XGBoost 1.7 (Debian's python3-sklearn, python3-xgboost).

Follows the protocol of ../shared/peers/sklearn_xgboost_baseline.py, with the splits IPqSEC reports:
  nsl        KDDTrain+ -> KDDTest+ and KDDTest-21 (official)
  unsw       UNSW-NB15 testing partition, stratified 5-fold CV, seed 42
  unsw-noleak  the same without sttl, dttl, ct_state_ttl
  ton        each Train_Test_IoT_*.csv, stratified 80/20, seed 42, per-row features
Prints one JSON line per (dataset, model): acc, precision, recall, f1, fpr, auc, fit_s (median over --repeats),
predict_rows_per_s (median).

Usage: /usr/bin/python3 bench/peers.py DATA_DIR [--only nsl,unsw,unsw-noleak,ton] [--models rf,hgb,lr,iforest,xgb]
       [--repeats N] [--threads N]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

NSL_COLS = (
    "duration,protocol_type,service,flag,src_bytes,dst_bytes,land,wrong_fragment,urgent,hot,num_failed_logins,"
    "logged_in,num_compromised,root_shell,su_attempted,num_root,num_file_creations,num_shells,num_access_files,"
    "num_outbound_cmds,is_host_login,is_guest_login,count,srv_count,serror_rate,srv_serror_rate,rerror_rate,"
    "srv_rerror_rate,same_srv_rate,diff_srv_rate,srv_diff_host_rate,dst_host_count,dst_host_srv_count,"
    "dst_host_same_srv_rate,dst_host_diff_srv_rate,dst_host_same_src_port_rate,dst_host_srv_diff_host_rate,"
    "dst_host_serror_rate,dst_host_srv_serror_rate,dst_host_rerror_rate,dst_host_srv_rerror_rate,attack,difficulty"
).split(",")


def make_model(name, threads):
    if name == "rf":
        return RandomForestClassifier(n_estimators=100, n_jobs=threads, random_state=42)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=42)
    if name == "lr":
        return LogisticRegression(max_iter=1000)
    if name == "iforest":
        return IsolationForest(n_estimators=100, random_state=42, n_jobs=threads)
    if name == "xgb":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=300, tree_method="hist", n_jobs=threads, random_state=42)
    raise ValueError(name)


def metrics(y, pred, score):
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    out = dict(
        acc=(tp + tn) / len(y),
        precision=prec,
        recall=rec,
        f1=0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec),
        fpr=fp / max(1, fp + tn),
    )
    try:
        out["auc"] = roc_auc_score(y, score)
    except ValueError:
        out["auc"] = None
    return {k: (None if v is None else float(v)) for k, v in out.items()}


def fit_eval(name, Xtr, ytr, tests, threads, repeats):
    """Fits `repeats` times (timing median), evaluates the last fit on each test set."""
    if name == "lr":
        sc = StandardScaler().fit(Xtr)
        Xtr = sc.transform(Xtr)
        tests = [(sc.transform(X), y) for X, y in tests]
    fits = []
    for _ in range(repeats):
        m = make_model(name, threads)
        t0 = time.perf_counter()
        if name == "iforest":
            m.fit(Xtr[ytr == 0])
        else:
            m.fit(Xtr, ytr)
        fits.append(time.perf_counter() - t0)
    results = []
    rps = []
    for X, y in tests:
        t0 = time.perf_counter()
        if name == "iforest":
            score = -m.score_samples(X)
        else:
            score = m.predict_proba(X)[:, 1]
        dt = time.perf_counter() - t0
        rps.append(len(X) / dt)
        if name == "iforest":
            thr = np.quantile(-m.score_samples(Xtr[ytr == 0]), 0.95)
            pred = (score > thr).astype(int)
        else:
            pred = (score >= 0.5).astype(int)
        results.append(metrics(y, pred, score))
    return results, statistics.median(fits), rps[0]


def emit(dataset, model, res, **extra):
    print(json.dumps(dict(dataset=dataset, model=model, **res, **extra)), flush=True)


def nsl(d, models, threads, repeats):
    tr = pd.read_csv(f"{d}/nsl-kdd/KDDTrain+.txt", names=NSL_COLS)
    te = pd.read_csv(f"{d}/nsl-kdd/KDDTest+.txt", names=NSL_COLS)
    cat = ["protocol_type", "service", "flag"]
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(tr[cat])

    def X(df):
        x = df.drop(columns=["attack", "difficulty"]).copy()
        x[cat] = enc.transform(df[cat])
        return x.to_numpy(dtype=np.float64)

    ytr = (tr.attack != "normal").astype(int).to_numpy()
    yte = (te.attack != "normal").astype(int).to_numpy()
    hard = (te.difficulty < 21).to_numpy()
    Xtr, Xte = X(tr), X(te)
    for name in models:
        (r_all, r_hard), fit_s, rps = fit_eval(name, Xtr, ytr, [(Xte, yte), (Xte[hard], yte[hard])], threads, repeats)
        emit("nsl-kdd KDDTest+", name, r_all, fit_s=fit_s, predict_rows_per_s=rps)
        emit("nsl-kdd KDDTest-21", name, r_hard)


def unsw(d, models, threads, repeats, drop, label):
    df = pd.read_csv(f"{d}/unsw-nb15/UNSW_NB15_testing-set.csv", encoding="utf-8-sig")
    cat = ["proto", "service", "state"]
    y = df.label.to_numpy()
    x = df.drop(columns=["id", "attack_cat", "label"] + drop).copy()
    x[cat] = OrdinalEncoder().fit_transform(x[cat])
    X = x.to_numpy(dtype=np.float64)
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    for name in models:
        agg, fits, rpss = [], [], []
        for tri, tei in skf.split(X, y):
            (res,), fit_s, rps = fit_eval(name, X[tri], y[tri], [(X[tei], y[tei])], threads, 1)
            agg.append(res)
            fits.append(fit_s)
            rpss.append(rps)
        mean = {k: float(np.mean([a[k] for a in agg])) for k in agg[0]}
        emit(label, name, mean, fit_s=statistics.median(fits), predict_rows_per_s=statistics.median(rpss))


def ton(d, models, threads, repeats):
    folder = f"{d}/ton-iot"
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".csv"):
            continue
        df = pd.read_csv(f"{folder}/{f}", encoding="utf-8-sig", skipinitialspace=True)
        y = df.label.to_numpy()
        x = df.drop(columns=["ts", "date", "time", "label", "type"])
        for c in x.columns:
            if x[c].dtype == object:
                x[c] = OrdinalEncoder().fit_transform(x[[c]].astype(str))
        X = x.to_numpy(dtype=np.float64)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
        for name in models:
            if name in ("lr", "iforest"):
                continue
            (res,), fit_s, rps = fit_eval(name, Xtr, ytr, [(Xte, yte)], threads, 1)
            emit(f"ton-iot {f[len('Train_Test_IoT_'):-4]} 80/20", name, res, fit_s=fit_s, predict_rows_per_s=rps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--only", default="nsl,unsw,unsw-noleak,ton")
    ap.add_argument("--models", default="rf,hgb,lr,iforest,xgb")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    only = a.only.split(",")
    models = a.models.split(",")
    if "nsl" in only:
        nsl(a.data, models, a.threads, a.repeats)
    if "unsw" in only:
        unsw(a.data, models, a.threads, a.repeats, [], "unsw-nb15 5-fold CV")
    if "unsw-noleak" in only:
        unsw(a.data, models, a.threads, a.repeats, ["sttl", "dttl", "ct_state_ttl"], "unsw-nb15 5-fold CV no-ttl")
    if "ton" in only:
        ton(a.data, models, a.threads, a.repeats)


if __name__ == "__main__":
    main()
