/** Federated learning (rounds, accuracy): the server has no federated-learning API yet, so this view says so. */
import { NotConfigured } from '../components/bits';

/** The Federated learning view (`#/federated`). */
export function FederatedView() {
  return (
    <>
      <h1 tabIndex={-1}>Federated learning</h1>
      <NotConfigured what="Federated learning">This server has no federated-learning API yet; rounds and accuracy will show here once it has.</NotConfigured>
    </>
  );
}
