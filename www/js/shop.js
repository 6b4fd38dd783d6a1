// shop.js - the storefront page (index.html): catalogue, cart, checkout.
import { initCartView, setProducts } from './cart-view.js';
import { initCatalogue, reload } from './catalogue.js';
import { initCheckout } from './checkout.js';

initCartView();
initCheckout({ refreshStock: reload });
initCatalogue({ loaded: setProducts });
